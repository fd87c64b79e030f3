/**
 * The notice of a failure every call would meet until a setting is fixed: an error once per
 * episode and kind, a reminder at most every ten minutes while it lasts, and one line
 * when the service works again.
 */
import { forgetFailureNotices, logServiceServed, logSessionFailure } from '../../src/translate/failure-notice';
import { memoryLogger } from './helpers';

const MINUTE = 60_000;

describe('failure notices', () => {
  beforeEach(() => {
    jest.useFakeTimers();
    jest.setSystemTime(new Date('2026-12-07T08:00:00Z'));
    forgetFailureNotices();
  });
  afterEach(() => {
    jest.useRealTimers();
    forgetFailureNotices();
  });

  const notices = (lines: Record<string, unknown>[]): Record<string, unknown>[] => lines.filter((l) => l.notice === true);

  it('a quota that runs out again after the service served again is noticed again', () => {
    const { logger, lines } = memoryLogger();
    expect(logSessionFailure(logger, 'quota', 'You exceeded your current quota')).toBe(true);
    jest.advanceTimersByTime(MINUTE);
    expect(logSessionFailure(logger, 'quota', 'You exceeded your current quota')).toBe(false);
    jest.advanceTimersByTime(MINUTE);
    logServiceServed(logger, Date.now());
    jest.advanceTimersByTime(MINUTE);
    expect(logSessionFailure(logger, 'quota', 'You exceeded your current quota')).toBe(true);

    const failed = lines.filter((l) => l.event === 'translate.failed');
    expect(failed.map((l) => [l.level, l.notice])).toEqual([
      ['error', true],
      ['warn', undefined],
      ['error', true],
    ]);
    expect(failed[2]).toMatchObject({ kind: 'quota', setting: 'GEMINI_API_KEY', msg: expect.stringContaining("check the quota of GEMINI_API_KEY's project") as unknown });
  });

  it('a long episode logs an error at most every ten minutes, with the sessions failed since the last', () => {
    const { logger, lines } = memoryLogger();
    // One session failing every 30 s for an hour.
    for (let t = 0; t < 60 * MINUTE; t += 30_000) {
      logSessionFailure(logger, 'auth', 'API key not valid. Please pass a valid API key.');
      jest.advanceTimersByTime(30_000);
    }
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(6);
    expect(errors.map((l) => l.event)).toEqual(Array(6).fill('translate.failed'));
    expect(errors[0]).not.toHaveProperty('reminder');
    for (const reminder of errors.slice(1)) {
      expect(reminder).toMatchObject({ kind: 'auth', setting: 'GEMINI_API_KEY', notice: true, reminder: true, sessionsFailedSinceNotice: 20 });
    }
    expect(errors[5]).toMatchObject({ durationMs: 50 * MINUTE, sessionsFailed: 101 });
    // Every other session's failure is still a line of its own, at warning level.
    expect(lines.filter((l) => l.event === 'translate.failed' && l.level === 'warn')).toHaveLength(120 - 6);
  });

  it('recovery is logged once, with how long the episode lasted and how many sessions failed so', () => {
    const { logger, lines } = memoryLogger();
    const started = Date.now();
    logSessionFailure(logger, 'auth', 'API key not valid. Please pass a valid API key.');
    jest.advanceTimersByTime(2 * MINUTE);
    logSessionFailure(logger, 'auth', 'API key not valid. Please pass a valid API key.');
    logSessionFailure(logger, 'auth', 'API key not valid. Please pass a valid API key.');
    jest.advanceTimersByTime(MINUTE);
    const setUpAt = Date.now();
    jest.advanceTimersByTime(10_000);
    logServiceServed(logger, setUpAt);
    logServiceServed(logger, Date.now());
    jest.advanceTimersByTime(MINUTE);
    logServiceServed(logger, Date.now());

    const recovered = lines.filter((l) => l.event === 'translate.recovered');
    expect(recovered).toEqual([expect.objectContaining({ level: 'info', kind: 'auth', setting: 'GEMINI_API_KEY', notice: true, durationMs: setUpAt - started, sessionsFailed: 3 })]);
  });

  it('a connection set up before the last failure does not end the episode', () => {
    const { logger, lines } = memoryLogger();
    const setUpAt = Date.now();
    jest.advanceTimersByTime(1_000);
    logSessionFailure(logger, 'quota', 'You exceeded your current quota');
    jest.advanceTimersByTime(10_000);
    // A call set up before the quota ran out has served its connection all along.
    logServiceServed(logger, setUpAt);
    logSessionFailure(logger, 'quota', 'You exceeded your current quota');

    expect(lines.filter((l) => l.event === 'translate.recovered')).toEqual([]);
    expect(notices(lines)).toHaveLength(1);
  });

  it('each kind has its own episode; a failure needing no setting is an error every time', () => {
    const { logger, lines } = memoryLogger();
    logSessionFailure(logger, 'auth', 'API key not valid. Please pass a valid API key.');
    logSessionFailure(logger, 'model', 'models/gemini-0 is not found for API version v1beta');
    logSessionFailure(logger, 'auth', 'API key not valid. Please pass a valid API key.');
    logSessionFailure(logger, 'retries_exhausted', 'gave up after 21 failed attempts');
    logSessionFailure(logger, 'retries_exhausted', 'gave up after 21 failed attempts');
    jest.advanceTimersByTime(1_000);
    logServiceServed(logger, Date.now());

    expect(notices(lines).map((l) => [l.event, l.kind, l.setting])).toEqual([
      ['translate.failed', 'auth', 'GEMINI_API_KEY'],
      ['translate.failed', 'model', 'GEMINI_MODEL'],
      ['translate.recovered', 'auth', 'GEMINI_API_KEY'],
      ['translate.recovered', 'model', 'GEMINI_MODEL'],
    ]);
    expect(lines.filter((l) => l.kind === 'retries_exhausted').map((l) => l.level)).toEqual(['error', 'error']);
  });
});
