import { CallEventBus, type CallEvent, type UnstampedCallEvent } from '../../src/call/events';
import { LiveFeed, TooManyViewersError, type FeedMessage } from '../../src/live/live-feed';
import { silent } from '../http/helpers/admin-app';

let at = 1_000;
function ev(callId: string, e: UnstampedCallEvent): CallEvent {
  return { ...e, callId, at: at++ };
}
const created = (callId: string): CallEvent => ev(callId, { type: 'call.created', kind: 'direct', number: '+15550001111', from: '+34600000000', destination: '+15550002222' });
const partial = (callId: string, text: string, side: 'source' | 'translation' = 'source'): CallEvent => ev(callId, { type: 'utterance.partial', routeId: 'caller->agent', side, text, languageCode: side === 'source' ? 'es' : 'en' });
const final = (callId: string, n: number): CallEvent =>
  ev(callId, { type: 'utterance.final', routeId: 'caller->agent', source: { text: `hola ${n}`, languageCode: 'es' }, translation: { text: `hello ${n}`, languageCode: 'en' }, startMs: n * 1000, endMs: n * 1000 + 500 });

function setup(opts: ConstructorParameters<typeof LiveFeed>[1] = {}) {
  const bus = new CallEventBus(silent);
  const feed = new LiveFeed(bus, opts);
  const got: FeedMessage[] = [];
  let ended = 0;
  const viewer = { send: (m: FeedMessage) => got.push(m), end: () => ended++ };
  return { bus, feed, got, viewer, ended: () => ended };
}

function snapshotOf(messages: FeedMessage[]): CallEvent[] {
  const s = messages.find((m) => m.kind === 'snapshot');
  if (!s || s.kind !== 'snapshot') throw new Error('no snapshot');
  return s.events;
}

describe('LiveFeed', () => {
  it('starts a viewer from a snapshot of the calls in progress, then sends each event with an id', () => {
    const { bus, feed, got, viewer } = setup();
    bus.publish(created('a'));
    bus.publish(ev('a', { type: 'call.state', from: 'ringing', to: 'dialing', trigger: 'caller-stream-started' }));
    bus.publish(ev('a', { type: 'call.state', from: 'dialing', to: 'bridged', trigger: 'agent-answered' }));
    bus.publish(created('b'));
    bus.publish(ev('b', { type: 'call.ended', outcome: 'busy', reason: "the other party's line: busy", durationMs: 100 }));
    const { first } = feed.join(viewer);
    const events = snapshotOf(first);
    // Only the call in progress, with its latest state only.
    expect(events.map((e) => [e.callId, e.type])).toEqual([
      ['a', 'call.created'],
      ['a', 'call.state'],
    ]);
    expect(events[1]).toMatchObject({ to: 'bridged' });

    bus.publish(partial('a', 'ho'));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ kind: 'event', event: { type: 'utterance.partial', text: 'ho' } });
    expect((got[0] as { id: string }).id).toMatch(/^[0-9a-f]{12}-6$/);
    expect(first[0].id).toMatch(/-5$/);
  });

  it("keeps a call's partial text merged until its final, and only the newest finals", () => {
    const { bus, feed, viewer } = setup({ digest: { maxFinals: 3, maxPartialChars: 6, maxKeys: 10 } });
    bus.publish(created('a'));
    for (let n = 1; n <= 5; n++) bus.publish(final('a', n));
    bus.publish(partial('a', 'bue'));
    bus.publish(partial('a', 'nos '));
    bus.publish(partial('a', 'días'));
    bus.publish(partial('a', 'good', 'translation'));
    const events = snapshotOf(feed.join(viewer).first);
    expect(events.filter((e) => e.type === 'utterance.final').map((e) => (e as { source: { text: string } }).source.text)).toEqual(['hola 3', 'hola 4', 'hola 5']);
    expect(events.filter((e) => e.type === 'utterance.partial')).toEqual([
      expect.objectContaining({ side: 'source', text: 's días', languageCode: 'es' }),
      expect.objectContaining({ side: 'translation', text: 'good' }),
    ]);
    bus.publish(final('a', 6));
    expect(snapshotOf([feed.snapshot()]).filter((e) => e.type === 'utterance.partial')).toEqual([]);
  });

  it('resumes a viewer after its Last-Event-ID while the ring still holds what it missed, else sends a snapshot', () => {
    const { bus, feed, viewer } = setup({ ringSize: 4 });
    bus.publish(created('a'));
    const { first, leave } = feed.join(viewer);
    const lastId = first[0].id;
    leave();
    bus.publish(partial('a', 'uno'));
    bus.publish(partial('a', 'dos'));
    const resumed = feed.join(viewer, lastId).first;
    expect(resumed.map((m) => (m.kind === 'event' ? (m.event as { text?: string }).text : 'snapshot'))).toEqual(['uno', 'dos']);
    // Up to date: nothing to replay.
    expect(feed.join(viewer, resumed[1].id).first).toEqual([]);
    for (const t of ['tres', 'cuatro', 'cinco']) bus.publish(partial('a', t));
    // Too old for the ring (4 events), from another feed, or nonsense: a snapshot.
    for (const id of [lastId, `000000000000-1`, 'garbage', `${lastId.split('-')[0]}-999`]) expect(feed.join(viewer, id).first.map((m) => m.kind)).toEqual(['snapshot']);
  });

  it('keeps no event past maxAgeMs: an ended call\'s words are gone from memory, and a viewer away longer gets a snapshot', () => {
    let now = 0;
    const { bus, feed, viewer } = setup({ maxAgeMs: 60_000, now: () => now });
    bus.publish(created('a'));
    const { first, leave } = feed.join(viewer);
    leave();
    bus.publish(final('a', 1));
    bus.publish(ev('a', { type: 'call.ended', outcome: 'completed', reason: 'the caller hung up', durationMs: 1000 }));
    now = 59_000;
    expect(feed.join(viewer, first[0].id).first.map((m) => m.kind)).toEqual(['event', 'event']);
    now = 61_000;
    const later = feed.join(viewer, first[0].id).first;
    expect(later).toEqual([expect.objectContaining({ kind: 'snapshot', events: [] })]);
    expect(JSON.stringify(later)).not.toContain('hola');
  });

  it("keeps the latest of any other kind of event per subject in a call's snapshot (a conference interpreter's legs and mode)", () => {
    const { bus, feed, viewer } = setup();
    bus.publish(created('a'));
    const other = (fields: Record<string, unknown>): CallEvent => ({ ...fields, callId: 'a', at: at++ }) as unknown as CallEvent;
    bus.publish(other({ type: 'interpreter.leg', endpoint: 'whisper:p1', action: 'joined' }));
    bus.publish(other({ type: 'interpreter.leg', endpoint: 'whisper:p2', action: 'joined' }));
    bus.publish(other({ type: 'interpreter.leg', endpoint: 'whisper:p1', action: 'left' }));
    bus.publish(other({ type: 'interpreter.mode', mode: 'whisper' }));
    bus.publish(other({ type: 'interpreter.mode', mode: 'open' }));
    const events = snapshotOf(feed.join(viewer).first) as unknown as Record<string, unknown>[];
    expect(events.slice(1).map((e) => [e.type, e.endpoint ?? e.mode, e.action])).toEqual([
      ['interpreter.leg', 'whisper:p1', 'left'],
      ['interpreter.leg', 'whisper:p2', 'joined'],
      ['interpreter.mode', 'open', undefined],
    ]);
  });

  it("keeps in a call's snapshot that interpretation is unavailable to each party told so on their own", () => {
    const { bus, feed, viewer } = setup();
    bus.publish(created('a'));
    const other = (fields: Record<string, unknown>): CallEvent => ({ ...fields, callId: 'a', at: at++ }) as unknown as CallEvent;
    bus.publish(other({ type: 'interpreter.unavailable', reason: 'refused', told: ['CA1'], party: 'CA1' }));
    bus.publish(other({ type: 'interpreter.unavailable', reason: 'refused', told: ['CA2'], party: 'CA2' }));
    const events = snapshotOf(feed.join(viewer).first) as unknown as Record<string, unknown>[];
    expect(events.slice(1).map((e) => [e.type, e.party])).toEqual([
      ['interpreter.unavailable', 'CA1'],
      ['interpreter.unavailable', 'CA2'],
    ]);
  });

  it("drops from a call's snapshot that interpretation was unavailable once it is back (the whole call, or one party)", () => {
    const { bus, feed, viewer } = setup();
    bus.publish(created('a'));
    bus.publish(ev('a', { type: 'interpreter.unavailable', reason: 'Twilio 503', told: ['CA1', 'CA2'] }));
    bus.publish(ev('a', { type: 'interpreter.unavailable', reason: 'Twilio 503', told: ['CA3'], party: 'CA3' }));
    bus.publish(ev('a', { type: 'interpreter.available', told: ['CA1', 'CA2'] }));
    expect(snapshotOf(feed.join(viewer).first).map((e) => [e.type, 'party' in e ? e.party : undefined])).toEqual([
      ['call.created', undefined],
      ['interpreter.unavailable', 'CA3'],
    ]);
    bus.publish(ev('a', { type: 'interpreter.available', told: ['CA3'], party: 'CA3' }));
    expect(feed.snapshot().events.map((e) => e.type)).toEqual(['call.created']);
  });

  it('forgets an ended call even when an event of it straggles in, and ends its viewers when closed', () => {
    const { bus, feed, viewer, ended } = setup();
    bus.publish(created('a'));
    bus.publish(ev('a', { type: 'call.ended', outcome: 'completed', reason: 'the caller hung up', durationMs: 1 }));
    bus.publish(partial('a', 'late'));
    expect(feed.liveCalls).toEqual([]);
    feed.join(viewer);
    feed.close();
    expect(ended()).toBe(1);
    expect(feed.viewerCount).toBe(0);
  });

  it('refuses viewers past its limit, and follows at most maxCalls calls', () => {
    const { bus, feed, viewer } = setup({ maxViewers: 2, maxCalls: 2 });
    feed.join(viewer);
    const second = feed.join(viewer);
    expect(() => feed.join(viewer)).toThrow(TooManyViewersError);
    second.leave();
    feed.join(viewer);
    for (const id of ['a', 'b', 'c']) bus.publish(created(id));
    expect(feed.liveCalls).toEqual(['b', 'c']);
  });
});
