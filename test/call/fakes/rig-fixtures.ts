import { Writable } from 'node:stream';
import type { CallMetrics } from '../../../src/call/ports';
import type { PromptLibrary } from '../../../src/call/prompts';
import { createLogger, type Logger } from '../../../src/log/logger';

/** Resolves once the callbacks already queued (timers aside) have run. */
export const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Every metric is accepted and forgotten. */
export const quietMetrics: CallMetrics = {
  callStarted: () => undefined,
  callEnded: () => undefined,
  callMoved: () => undefined,
  callRejected: () => undefined,
  conferenceUninterpreted: () => undefined,
  conferenceInterpretationRestored: () => undefined,
  translationSessionOpened: () => undefined,
  translationSessionClosed: () => undefined,
  translationReconnected: () => undefined,
  translationFailed: () => undefined,
  observeUtteranceDelay: () => undefined,
  observeFrameProcessing: () => undefined,
  observePlayoutDepth: () => undefined,
  playoutOverflow: () => undefined,
  playoutUnderruns: () => undefined,
  playoutConcealments: () => undefined,
  inboundUnderrun: () => undefined,
  inboundLateFrame: () => undefined,
  observeInboundJitterDelay: () => undefined,
};

/** No recorded prompt in any language. */
export const noPrompts: PromptLibrary = { get: () => undefined };

/** A logger whose lines go nowhere. */
export const silentLogger = (): Logger => createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) });
