/**
 * tolk_frame_processing_seconds observes one frame in ten on each path, timed from its start to its
 * end: the graph's endpoints read the clock only for the frames they are told to time.
 */
import { Writable } from 'node:stream';
import { encodeMulaw } from '../../src/audio';
import { CallGraph } from '../../src/call/call-graph';
import { ManualFrameClock } from '../../src/call/frame-clock';
import { createLogger } from '../../src/log/logger';
import { FakeMediaLeg } from './fakes/fake-media-leg';
import { FakeTranslatorFactory } from './fakes/fake-translator';

describe('frame processing times', () => {
  it('are observed for one inbound frame in ten and one outbound frame in ten, each a real duration', () => {
    const clock = new ManualFrameClock();
    const observed: { path: 'in' | 'out'; ms: number }[] = [];
    const metrics = {
      observeFrameProcessing: (path: 'in' | 'out', ms: number) => void observed.push({ path, ms }),
      observePlayoutDepth: () => undefined,
      playoutOverflow: () => undefined,
      playoutUnderruns: () => undefined,
      playoutConcealments: () => undefined,
      inboundUnderrun: () => undefined,
      inboundLateFrame: () => undefined,
      observeInboundJitterDelay: () => undefined,
    };
    const logger = createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) });
    const graph = new CallGraph({ callId: 'call', clock, translators: new FakeTranslatorFactory(), prompts: { get: () => undefined }, metrics, publish: () => undefined, logger, elapsedMs: () => 0 });
    const caller = new FakeMediaLeg('CA' + 'c'.repeat(32), 'caller');
    const agent = new FakeMediaLeg('CA' + 'a'.repeat(32), 'agent');
    graph.addEndpoint({ id: 'caller', carries: ['caller'], reaches: ['caller'] }, caller);
    graph.addEndpoint({ id: 'agent', carries: ['agent'], reaches: ['agent'] }, agent);
    // 25 inbound frames (the caller's) and 50 outbound ones (a tick of each endpoint per frame).
    for (let i = 0; i < 25; i++) {
      caller.say(encodeMulaw(new Int16Array(160).fill(i * 100)));
      clock.tick(1);
    }
    expect(observed.filter((o) => o.path === 'in')).toHaveLength(3);
    expect(observed.filter((o) => o.path === 'out')).toHaveLength(5);
    for (const o of observed) {
      expect(Number.isFinite(o.ms)).toBe(true);
      expect(o.ms).toBeGreaterThanOrEqual(0);
      expect(o.ms).toBeLessThan(1000);
    }
  });
});
