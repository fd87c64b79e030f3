import { CallGraph } from '../../../src/call/call-graph';
import type { FrameClock } from '../../../src/call/ports';
import { FakeMediaLeg } from './fake-media-leg';
import { FakeTranslatorFactory } from './fake-translator';
import { noPrompts as prompts, quietMetrics, silentLogger } from './rig-fixtures';

/**
 * A call graph of a caller and an agent, the caller's voice linked to the agent at `voiceGain` (full volume by default);
 * counts the inbound lateness the metrics hear of; its translation sessions are fakes the test drives.
 */
export function twoPartyGraph(clock: FrameClock, agent = new FakeMediaLeg('CA' + 'b'.repeat(32), 'agent'), voiceGain = 1) {
  const counts = { underruns: 0, lateFrames: 0 };
  const metrics = { ...quietMetrics, inboundUnderrun: () => void counts.underruns++, inboundLateFrame: () => void counts.lateFrames++ };
  const logger = silentLogger();
  const translators = new FakeTranslatorFactory();
  const graph = new CallGraph({ callId: 'c', clock, translators, prompts, metrics, publish: () => undefined, logger, elapsedMs: () => 0 });
  const caller = new FakeMediaLeg('CA' + 'a'.repeat(32), 'caller');
  graph.addEndpoint({ id: 'caller', carries: ['caller'], reaches: ['caller'] }, caller);
  graph.addEndpoint({ id: 'agent', carries: ['agent'], reaches: ['agent'] }, agent);
  graph.link('caller', 'agent', voiceGain);
  return { graph, caller, agent, counts, translators };
}
