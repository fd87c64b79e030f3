import { Writable } from 'node:stream';
import { CallEventBus, type CallEvent } from '../../src/call/events';
import { createLogger } from '../../src/log/logger';

const event = (callId: string, type: 'call.created' | 'participant.left' = 'participant.left'): CallEvent =>
  type === 'call.created'
    ? { type, callId, at: 1, kind: 'direct', number: '+15550001111', from: '', destination: '+15550002222' }
    : { type, callId, at: 1, participantId: 'agent' };

function bus() {
  const lines: string[] = [];
  const logger = createLogger({ destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }) });
  return { bus: new CallEventBus(logger), lines };
}

describe('the call event bus', () => {
  it('delivers in subscription order, filtered by call when asked, until unsubscribed', () => {
    const { bus: b } = bus();
    const seen: string[] = [];
    const stop = b.subscribe((e) => void seen.push(`all:${e.callId}`));
    b.subscribe((e) => void seen.push(`one:${e.callId}`), { callId: 'a' });
    b.publish(event('a'));
    b.publish(event('b'));
    stop();
    b.publish(event('a'));
    expect(seen).toEqual(['all:a', 'one:a', 'all:b', 'one:a']);
  });

  it('settles once the work subscribers started for a call has finished, failed work included', async () => {
    const { bus: b, lines } = bus();
    const done: string[] = [];
    b.subscribe((e) =>
      e.type === 'participant.left'
        ? new Promise((r) => setTimeout(r, 30)).then(() => void done.push(e.callId))
        : Promise.reject(new Error('disk full')),
    );
    b.publish(event('a'));
    b.publish(event('b'));
    b.publish(event('a', 'call.created'));
    await b.settle('a');
    expect(done).toContain('a');
    expect(lines.join('')).toMatch(/call.event_subscriber_failed.*disk full/);
    await b.settle('b');
    expect(done.sort()).toEqual(['a', 'b']);
    await b.settle('never-seen');
  });

  it('settles every call at once, work started while it waits included', async () => {
    const { bus: b } = bus();
    const done: string[] = [];
    b.subscribe((e) =>
      new Promise((r) => setTimeout(r, e.callId === 'slow' ? 60 : 10)).then(() => {
        done.push(e.callId);
        // Work that starts more work (a write that publishes again) is waited for too.
        if (e.callId === 'slow') b.publish(event('late'));
      }),
    );
    b.publish(event('fast'));
    b.publish(event('slow'));
    await b.settleAll();
    expect(done.sort()).toEqual(['fast', 'late', 'slow']);
    await b.settleAll();
  });

  it('keeps delivering to the others when a subscriber throws', () => {
    const { bus: b, lines } = bus();
    const seen: string[] = [];
    b.subscribe(() => {
      throw new Error('boom');
    });
    b.subscribe((e) => void seen.push(e.callId));
    b.publish(event('a'));
    expect(seen).toEqual(['a']);
    expect(lines.join('')).toMatch(/"callEvent":"participant.left"/);
  });
});
