/**
 * `npm run bench:instructions` on a tiny workload (one second counted after one of warm-up, from
 * the sources): it counts instructions with callgrind over a frame path that carried the call's
 * audio both ways, and prints the figure as JSON. Needs valgrind (scripts/test-services.sh installs
 * it). No count is asserted beyond being one: the figure is the benchmark's, on the real build.
 */
import path from 'node:path';
import { totalsOf } from '../../scripts/bench-instructions';
import { ROOT, runScript } from './run-script';

const run = (args: string[], env?: NodeJS.ProcessEnv) => runScript('bench-instructions', args, env);

describe('npm run bench:instructions', () => {
  it('counts the instructions of seconds of an interpreted call whose audio went through both ways', async () => {
    const r = await run(['--seconds', '1', '--warmup', '1', '--from-source', '--json']);
    expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { instructionsPerCallSecond: number; instructions: number; seconds: number; chunkMs: number; framePath: Record<string, number> };
    expect(result).toMatchObject({ seconds: 1, chunkMs: 100 });
    expect(result.instructions).toBeGreaterThan(1e6);
    expect(result.instructionsPerCallSecond).toBe(result.instructions);
    // Two seconds of call in all: every media message of both parties went in, tolk set up both
    // legs and both translations, fed the model every sample, and the agent heard the model's
    // voice for the caller's first words (spoken from 1 s, answered 300 ms later); nothing refused.
    expect(result.framePath).toMatchObject({ framesIn: 200, legsStarted: 2, modelInputSeconds: 4, edgeProblems: 0, activeCalls: 1 });
    expect(result.framePath.voiceFramesHeardByAgent).toBeGreaterThan(5);
    expect(result.framePath.framesOut).toBeGreaterThan(result.framePath.voiceFramesHeardByAgent);
  }, 120_000);

  it('says how to install valgrind when it is missing', async () => {
    const r = await run(['--seconds', '1', '--from-source'], { ...process.env, PATH: path.join(ROOT, 'no-such-dir') });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('apt-get install valgrind');
  });

  it('reads the count of a callgrind dump', () => {
    expect(totalsOf('events: Ir\nsummary: 1234\ntotals: 1234\n')).toBe(1234);
    expect(() => totalsOf('events: Ir\n')).toThrow('no totals');
  });
});
