/**
 * The one place that loads @google/genai. The package ships its Node typings as ESM while tolk is
 * CommonJS, so TypeScript (module node16) refuses a plain import; at run time Node resolves the
 * package's `require` export (dist/node/index.cjs). Types come from an explicit ESM type import.
 */
import type * as GenAI from '@google/genai' with { 'resolution-mode': 'import' };

// eslint-disable-next-line @typescript-eslint/no-require-imports
const genai = require('@google/genai') as typeof GenAI;

export const GoogleGenAI = genai.GoogleGenAI;
export type GoogleGenAI = GenAI.GoogleGenAI;
export const Modality = genai.Modality;
export type LiveConnectConfig = GenAI.LiveConnectConfig;
export type LiveServerMessage = GenAI.LiveServerMessage;
export type Session = GenAI.Session;
export type AuthToken = GenAI.AuthToken;
