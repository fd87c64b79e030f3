/**
 * A failure every call would meet until a setting is fixed (a refused GEMINI_API_KEY, its spent
 * quota, an unknown GEMINI_MODEL) is logged at error level once per process and kind, naming the
 * setting; each session that meets it again logs a warning, not another error.
 */
import type { Logger } from '../log/logger';
import type { SessionFailureKind } from '../call/ports/translation';
import { interpretationFailureText, settingToCheck } from '../shared/interpretation-failure';

const noticed = new Set<SessionFailureKind>();

/** Logs a session's failure; true when it was the process's notice of a setting to check. */
export function logSessionFailure(log: Logger, kind: SessionFailureKind, reason: string): boolean {
  const setting = settingToCheck(kind);
  if (setting === undefined) {
    log.error({ event: 'translate.failed', kind, reason }, 'translation session failed');
    return false;
  }
  const words = interpretationFailureText(kind);
  if (noticed.has(kind)) {
    log.warn({ event: 'translate.failed', kind, setting, reason }, `translation session failed: ${words}`);
    return false;
  }
  noticed.add(kind);
  log.error(
    { event: 'translate.failed', kind, setting, reason, notice: true },
    `translation session failed: ${words} (calls go on uninterpreted, with a notice to their parties; this is logged once, later sessions that fail so log a warning)`,
  );
  return true;
}

/** For tests: forget the notices given. */
export function forgetFailureNotices(): void {
  noticed.clear();
}
