/**
 * `npm run bench` on a tiny load: tolk driven by the load rig answers every call, and the JSON keeps
 * its fields and carries the rig's, the floor's and the all-in delay's with sane values. No speed is
 * asserted: that is the benchmark's job, on a quiet machine.
 */
import { runScript } from './run-script';

const bench = (args: string[]) => runScript('bench', args);

describe('npm run bench', () => {
  it('drives tolk with the load rig and reports tolk, the rig, the floor and the all-in delay', async () => {
    const r = await bench(['--calls', '2', '--seconds', '10', '--warmup', '1', '--floor-seconds', '2', '--from-source', '--json']);
    expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, number>;
    const kept = ['calls', 'seconds', 'bridged', 'corePercentPerCall', 'eventLoopLagP99Ms', 'addedLatencyP50Ms', 'addedLatencyP99Ms', 'rssMbPerCall', 'framesLost', 'errors', 'modelLatencyMs', 'twilioEmulatorCorePercent', 'geminiEmulatorCorePercent', 'pinned', 'outboundFramesPerLegTick', 'transportFloorCorePercent', 'transportFloorCorePercentPerCall'];
    const added = ['rigCalls', 'rigCorePercentPerCall', 'floorCorePercentPerCall', 'ratioToFloor', 'addedDelayAllInP50Ms', 'addedDelayAllInP95Ms', 'rigMaxCorePercent', 'rigValid', 'translationGaps', 'translationConcealments', 'addedDelayValid', 'framesLostOutsideWindow', 'translationGapsOutsideWindow', 'translationConcealmentsOutsideWindow'];
    for (const k of [...kept, ...added]) expect({ [k]: typeof result[k] }).toEqual({ [k]: 'number' });

    // tolk ran its real path: both calls bridged (two translation sessions each) and completed.
    expect(result).toMatchObject({ calls: 2, seconds: 10, bridged: 2, errors: 0, modelLatencyMs: 300, originalVolume: 0.16 });
    expect(result.outboundFramesPerLegTick).toBeGreaterThan(0);

    // The rig and the floor did work and were measured.
    expect(result.rigCorePercentPerCall).toBeGreaterThan(0);
    // Both calls' legs were driven through the window: its CPU is per call the rig drove.
    expect(result.rigCalls).toBeCloseTo(2, 0);
    expect(result.twilioEmulatorCorePercent).toBeGreaterThan(0);
    expect(result.geminiEmulatorCorePercent).toBeGreaterThan(0);
    expect(result.rigMaxCorePercent).toBeGreaterThan(0);
    expect([0, 1]).toContain(result.rigValid);
    expect([0, 1]).toContain(result.addedDelayValid);
    expect(result.floorCorePercentPerCall).toBeGreaterThan(0);
    expect(result.floorCorePercentPerCall).toBe(result.transportFloorCorePercentPerCall);
    expect(result.ratioToFloor).toBeCloseTo(result.corePercentPerCall / result.floorCorePercentPerCall, 1);

    // The agent's first utterance falls in the window: its translation was heard by the caller,
    // after the speech (never before the model could have answered) and within seconds.
    expect(result.addedDelaySamples).toBeGreaterThanOrEqual(1);
    expect(result.addedDelayAllInP50Ms).toBeGreaterThan(0);
    expect(result.addedDelayAllInP95Ms).toBeGreaterThanOrEqual(result.addedDelayAllInP50Ms);
    expect(result.addedDelayAllInP95Ms).toBeLessThan(3000);
  }, 120_000);

  it('refuses an original volume out of 0 to 1 before it starts anything', async () => {
    const r = await bench(['--original-volume', '1.5', '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--original-volume needs a number from 0 to 1');
  });
});
