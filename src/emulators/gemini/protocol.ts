/**
 * Gemini Live wire facts the emulator reproduces: endpoint paths, setup validation and the service's
 * close codes and reason texts (as observed on the real service; see docs/gemini-live-protocol.md).
 * Pure functions only.
 */

export const CLOSE = {
  invalidArgument: 1007,
  policy: 1008,
  internal: 1011,
} as const;

export const REASONS = {
  badKey: 'API key not valid. Please pass a valid API key.',
  quota: 'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.',
  internal: 'Internal error occurred.',
  invalidArgument: 'Request contains an invalid argument.',
  deadline: 'Deadline expired before operation could complete.',
  /** Not observed on the real service (its text for a bad ephemeral token is undocumented). */
  badToken: 'Ephemeral token is invalid, expired or has no uses left.',
  /** Not observed on the real service either (it documents only that messages are refused after expireTime). */
  tokenExpired: 'Ephemeral token expired.',
  modelNotFound: (model: string, version: string) =>
    `${model} is not found for API version ${version}, or is not supported for bidiGenerateContent. Call ListModels to see the list of available models and their supported methods.`,
  unknownField: (field: string, at: string) => `Invalid JSON payload received. Unknown name "${field}" at '${at}': Cannot find field.`,
};

/** WebSocket close reasons are limited to 123 bytes; the service truncates, so do we. */
export function truncateReason(reason: string): string {
  const buf = Buffer.from(reason, 'utf8');
  if (buf.length <= 123) return reason;
  let end = 123;
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

export interface LiveEndpoint {
  version: 'v1alpha' | 'v1beta' | 'v1';
  constrained: boolean;
}

const WS_PATH = /^\/ws\/google\.ai\.generativelanguage\.(v1alpha|v1beta|v1)\.GenerativeService\.(BidiGenerateContent|BidiGenerateContentConstrained)$/;

/** Parses a request path; tolerates the SDK's `//ws/...` (and any run of slashes). */
export function parseLivePath(rawPath: string): LiveEndpoint | undefined {
  const path = rawPath.replace(/\/{2,}/g, '/');
  const m = WS_PATH.exec(path);
  if (!m) return undefined;
  return { version: m[1] as LiveEndpoint['version'], constrained: m[2] === 'BidiGenerateContentConstrained' };
}

/** Protobuf Duration JSON, as the service writes `goAway.timeLeft`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  return Number.isInteger(s) ? `${s}s` : `${s.toFixed(3)}s`;
}

export interface TranslateSetup {
  model: string;
  targetLanguageCode: string;
  echoTargetLanguage: boolean;
  inputTranscription: boolean;
  outputTranscription: boolean;
  resumptionHandle?: string;
}

export type SetupVerdict = { ok: true; setup: TranslateSetup } | { ok: false; code: number; reason: string };

const SETUP_FIELDS = new Set([
  'model', 'generationConfig', 'systemInstruction', 'tools', 'realtimeInputConfig', 'sessionResumption',
  'contextWindowCompression', 'inputAudioTranscription', 'outputAudioTranscription', 'proactivity', 'explicitVadSignal', 'historyConfig',
]);
const GENERATION_FIELDS = new Set([
  'candidateCount', 'maxOutputTokens', 'temperature', 'topP', 'topK', 'presencePenalty', 'frequencyPenalty', 'responseModalities',
  'speechConfig', 'enableAffectiveDialog', 'mediaResolution', 'thinkingConfig', 'translationConfig', 'seed', 'responseLogprobs', 'logprobs',
]);
const TRANSLATION_FIELDS = new Set(['targetLanguageCode', 'echoTargetLanguage']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unknownField(obj: Record<string, unknown>, known: Set<string>, at: string): SetupVerdict | undefined {
  for (const k of Object.keys(obj)) if (!known.has(k)) return { ok: false, code: CLOSE.invalidArgument, reason: REASONS.unknownField(k, at) };
  return undefined;
}

/** Validates a `setup` message the way the service does for the translate model. */
export function validateSetup(setup: unknown, version: string, knownModels: readonly string[], supportedLanguage: (c: string) => boolean): SetupVerdict {
  const bad: SetupVerdict = { ok: false, code: CLOSE.invalidArgument, reason: REASONS.invalidArgument };
  if (!isObject(setup)) return bad;
  const top = unknownField(setup, SETUP_FIELDS, 'setup');
  if (top) return top;
  const model = typeof setup.model === 'string' ? setup.model : '';
  const bare = model.replace(/^models\//, '');
  if (!model.startsWith('models/') || !knownModels.includes(bare) || version === 'v1') {
    return { ok: false, code: CLOSE.policy, reason: REASONS.modelNotFound(model || 'models/', version) };
  }
  const gen = setup.generationConfig ?? {};
  if (!isObject(gen)) return bad;
  const g = unknownField(gen, GENERATION_FIELDS, 'setup.generation_config');
  if (g) return g;
  if (setup.systemInstruction !== undefined || setup.tools !== undefined) return bad;
  const tc = gen.translationConfig ?? {};
  if (!isObject(tc)) return bad;
  const t = unknownField(tc, TRANSLATION_FIELDS, 'setup.generation_config.translation_config');
  if (t) return t;
  const target = tc.targetLanguageCode ?? 'en';
  if (typeof target !== 'string' || !supportedLanguage(target)) return bad;
  const resumption = setup.sessionResumption;
  const handle = isObject(resumption) && typeof resumption.handle === 'string' ? resumption.handle : undefined;
  return {
    ok: true,
    setup: {
      model: bare,
      targetLanguageCode: target,
      echoTargetLanguage: tc.echoTargetLanguage === true,
      inputTranscription: setup.inputAudioTranscription !== undefined,
      outputTranscription: setup.outputAudioTranscription !== undefined,
      resumptionHandle: handle,
    },
  };
}

/**
 * Applies the fields an ephemeral token locks onto a client's setup. Without a fieldMask every field
 * the token sets is locked; with one, only the listed paths (one nested level, e.g.
 * `generationConfig.translationConfig`).
 */
export function applyTokenConstraints(clientSetup: Record<string, unknown>, tokenSetup: Record<string, unknown> | undefined, fieldMask: string | undefined): Record<string, unknown> {
  if (!tokenSetup) return clientSetup;
  const out: Record<string, unknown> = { ...clientSetup };
  const paths = fieldMask ? fieldMask.split(',').map((p) => p.trim()).filter(Boolean) : Object.keys(tokenSetup);
  for (const path of paths) {
    const [head, sub] = path.split('.');
    const value = tokenSetup[head];
    if (sub === undefined) {
      if (value !== undefined) out[head] = value;
    } else if (isObject(value) && value[sub] !== undefined) {
      const current = out[head];
      const base = isObject(current) ? current : {};
      out[head] = { ...base, [sub]: value[sub] };
    }
  }
  return out;
}
