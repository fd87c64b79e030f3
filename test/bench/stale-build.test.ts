/**
 * The bench runs tolk from a build made beforehand (`npm run build`, outside the bench's lock): it
 * never compiles inside its run, and refuses a build that is missing or older than the sources
 * rather than time old code.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertBuilt, staleBuild } from '../../scripts/rig/load-rig';

let root: string;
const write = (rel: string, at: number): void => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), '');
  fs.utimesSync(path.join(root, rel), at, at);
};

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-stale-build-'));
  write('src/main.ts', 1000);
  write('src/call/call.ts', 1000);
  write('src/types.d.ts', 3000);
  write('scripts/rig/floor.ts', 1000);
  write('dist/src/main.js', 2000);
  write('dist/src/call/call.js', 2000);
  write('dist/scripts/rig/floor.js', 2000);
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe('the bench and its build', () => {
  it('takes a build newer than every source as it is', () => {
    expect(staleBuild(root)).toEqual([]);
    expect(() => assertBuilt(root)).not.toThrow();
  });

  it('names a source changed since the build, and refuses to run it', () => {
    write('src/call/call.ts', 3000);
    expect(staleBuild(root)).toEqual([path.join('src', 'call', 'call.ts')]);
    expect(() => assertBuilt(root)).toThrow(/older than 1 of its sources \(src\/call\/call\.ts\): run npm run build first/);
  });

  it('names a source with no build at all (a script as well as tolk)', () => {
    write('scripts/rig/new-part.ts', 1000);
    fs.rmSync(path.join(root, 'dist', 'src', 'main.js'));
    expect(staleBuild(root).sort()).toEqual([path.join('scripts', 'rig', 'new-part.ts'), path.join('src', 'main.ts')]);
  });

  it('does not compile: the build is left as it was', () => {
    write('src/main.ts', 3000);
    expect(() => assertBuilt(root)).toThrow(/npm run build/);
    expect(fs.statSync(path.join(root, 'dist', 'src', 'main.js')).mtimeMs).toBe(2_000_000);
  });
});
