import { Writable } from 'node:stream';
import { CallEventBus } from '../../src/call/events';
import { logCalls, type CallLogOptions } from '../../src/call/subscribers/log';
import { createLogger } from '../../src/log/logger';

function logged(opts?: CallLogOptions): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(JSON.parse(c.toString()) as Record<string, unknown>), cb()) }) });
  const events = new CallEventBus(logger);
  logCalls(events, logger, opts);
  events.publish({
    type: 'utterance.final',
    callId: 'call-1',
    at: Date.parse('2026-01-01T10:00:00Z'),
    routeId: 'caller->agent',
    source: { text: 'Me duele el pecho', languageCode: 'es' },
    translation: { text: 'My chest hurts', languageCode: 'en' },
    startMs: 1200,
    endMs: 2900,
    lagMs: 900,
  });
  return lines.filter((l) => l.event === 'transcript.utterance');
}

describe('the call log', () => {
  it("logs each transcript line with its words by default", () => {
    const [line] = logged();
    expect(line).toMatchObject({ callId: 'call-1', source: { text: 'Me duele el pecho', languageCode: 'es' }, translation: { text: 'My chest hurts', languageCode: 'en' }, lagMs: 900 });
    expect(line.msg).toBe('caller->agent: Me duele el pecho => My chest hurts');
  });

  it('with TOLK_LOG_TRANSCRIPTS=off keeps what was said out of the log: languages, times and lengths only', () => {
    const [line] = logged({ transcripts: false });
    expect(line).toMatchObject({ callId: 'call-1', direction: 'caller->agent', source: { chars: 17, languageCode: 'es' }, translation: { chars: 14, languageCode: 'en' }, startMs: 1200, endMs: 2900, lagMs: 900 });
    expect(JSON.stringify(line)).not.toMatch(/pecho|chest/);
  });
});
