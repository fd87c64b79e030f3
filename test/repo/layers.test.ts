/**
 * One folder per concern: the folders that hold tolk's logic (calls, outbound calls, stores,
 * configuration, jobs, ...) never reach into the HTTP layer; what both need lives below them.
 * src/shared holds what the web console's bundle takes from src: it imports nothing.
 */
import fs from 'node:fs';
import path from 'node:path';

const src = path.resolve(__dirname, '../../src');
const LOGIC = ['audio', 'call', 'config', 'jobs', 'live', 'log', 'outbound', 'store', 'translate', 'webhooks'];

/** Every module a source file under `folder` imports, as a path relative to src/. */
function importsOf(folder: string): { file: string; target: string }[] {
  const found: { file: string; target: string }[] = [];
  for (const entry of fs.readdirSync(path.join(src, folder), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = path.join(entry.parentPath, entry.name);
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
      found.push({ file: path.relative(src, file), target: path.relative(src, path.resolve(path.dirname(file), m[1])) });
    }
  }
  return found;
}

describe('the folders that hold the logic', () => {
  it.each(LOGIC)('src/%s imports nothing from src/http', (folder) => {
    const intoHttp = importsOf(folder).filter((i) => i.target === 'http' || i.target.startsWith(`http${path.sep}`));
    expect(intoHttp).toEqual([]);
  });
});

describe('src/shared, which the web console bundles too', () => {
  it('imports nothing: no server code, no Node module reaches the browser through it', () => {
    const imports = fs
      .readdirSync(path.join(src, 'shared'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts'))
      .flatMap((e) => [...fs.readFileSync(path.join(e.parentPath, e.name), 'utf8').matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*'([^']+)'|\bimport\s*\(\s*'([^']+)'|^\s*import\s*'([^']+)'/gm)].map((m) => `${e.name}: ${m[1] ?? m[2] ?? m[3]}`));
    expect(imports).toEqual([]);
  });
});
