/**
 * A failure every call would meet until a setting is fixed (a refused GEMINI_API_KEY, its spent
 * quota, an unknown GEMINI_MODEL) is logged at error level, naming the setting, once per process,
 * kind and episode: an episode lasts from the first session that fails so until the service has
 * served a while (the translator says when: logServiceServed) a connection set up after the last
 * such failure. While it lasts each session that fails so logs a warning, and at most every
 * REMINDER_INTERVAL_MS one of them logs the error again instead, with how many sessions failed so
 * since the last; its end is logged once (`translate.recovered`), and the next failure of that kind
 * starts a new episode with a new error.
 */
import type { Logger } from '../log/logger';
import type { SessionFailureKind } from '../call/ports/translation';
import { interpretationFailureText, settingToCheck } from '../shared/interpretation-failure';

/** The least time between two error lines of one episode. */
export const REMINDER_INTERVAL_MS = 10 * 60_000;

interface Episode {
  startedAt: number;
  lastFailedAt: number;
  lastNoticeAt: number;
  sessionsFailed: number;
  sessionsFailedSinceNotice: number;
}

const episodes = new Map<SessionFailureKind, Episode>();

/** Logs a session's failure; true when the line was a notice (error level) of a setting to check. */
export function logSessionFailure(log: Logger, kind: SessionFailureKind, reason: string): boolean {
  const setting = settingToCheck(kind);
  if (setting === undefined) {
    log.error({ event: 'translate.failed', kind, reason }, 'translation session failed');
    return false;
  }
  const words = interpretationFailureText(kind);
  const now = Date.now();
  const episode = episodes.get(kind);
  if (episode === undefined) {
    episodes.set(kind, { startedAt: now, lastFailedAt: now, lastNoticeAt: now, sessionsFailed: 1, sessionsFailedSinceNotice: 0 });
    log.error(
      { event: 'translate.failed', kind, setting, reason, notice: true },
      `translation session failed: ${words} (calls go on uninterpreted, with a notice to their parties; logged at error level again at most every ${REMINDER_INTERVAL_MS / 60_000} minutes while it lasts, other sessions that fail so log a warning)`,
    );
    return true;
  }
  episode.lastFailedAt = now;
  episode.sessionsFailed++;
  episode.sessionsFailedSinceNotice++;
  if (now - episode.lastNoticeAt < REMINDER_INTERVAL_MS) {
    log.warn({ event: 'translate.failed', kind, setting, reason }, `translation session failed: ${words}`);
    return false;
  }
  const sinceNotice = episode.sessionsFailedSinceNotice;
  episode.lastNoticeAt = now;
  episode.sessionsFailedSinceNotice = 0;
  log.error(
    { event: 'translate.failed', kind, setting, reason, notice: true, reminder: true, durationMs: now - episode.startedAt, sessionsFailed: episode.sessionsFailed, sessionsFailedSinceNotice: sinceNotice },
    `translation session failed: ${words} (still: ${sinceNotice} sessions failed so since the last notice, ${episode.sessionsFailed} since it began)`,
  );
  return true;
}

/**
 * The service has served a connection set up at `setUpAt` (Date.now()): each episode whose last
 * failure came before that is over, and logged as recovered; one that failed since goes on.
 */
export function logServiceServed(log: Logger, setUpAt: number): void {
  for (const [kind, episode] of episodes) {
    if (episode.lastFailedAt >= setUpAt) continue;
    episodes.delete(kind);
    log.info(
      { event: 'translate.recovered', kind, setting: settingToCheck(kind), notice: true, durationMs: setUpAt - episode.startedAt, sessionsFailed: episode.sessionsFailed },
      `translation works again after: ${interpretationFailureText(kind)} (${episode.sessionsFailed} sessions failed so)`,
    );
  }
}

/** For tests: forget the episodes under way. */
export function forgetFailureNotices(): void {
  episodes.clear();
}
