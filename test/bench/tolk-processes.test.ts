/**
 * `npm run bench -- --processes P`: which cores tolk and the rig get, what it needs to run, and
 * that tolk's CPU is taken from every process it started.
 */
import { spawn } from 'node:child_process';
import { coreSplit, processTree, setUpProcesses } from '../../scripts/rig/tolk-processes';

describe('bench --processes', () => {
  it('gives tolk its first cores and the rig the rest, or pins nothing when no core is left for the rig', () => {
    expect(coreSplit(2, 1)).toEqual({ tolk: '0', rig: '1' });
    expect(coreSplit(8, 1)).toEqual({ tolk: '0', rig: '1-7' });
    expect(coreSplit(4, 2)).toEqual({ tolk: '0-1', rig: '2-3' });
    expect(coreSplit(3, 2)).toEqual({ tolk: '0-1', rig: '2' });
    expect(coreSplit(2, 2)).toBeUndefined();
  });

  it('says which of REDIS_URL and DATABASE_URL it needs', async () => {
    await expect(setUpProcesses(2, {})).rejects.toThrow(/--processes needs REDIS_URL and DATABASE_URL/);
    await expect(setUpProcesses(2, { REDIS_URL: 'redis://127.0.0.1:6379' })).rejects.toThrow(/--processes needs DATABASE_URL:/);
  });

  it("counts a process's children with it", async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      await new Promise((r) => child.once('spawn', r));
      expect(processTree(process.pid)).toEqual(expect.arrayContaining([process.pid, child.pid]));
    } finally {
      child.kill('SIGKILL');
    }
  });
});
