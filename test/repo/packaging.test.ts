/**
 * The repository's own promises: the Docker image is built as the README says, and CI runs the
 * very test command the README gives.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';

const root = path.resolve(__dirname, '../..');
const read = (f: string): string => fs.readFileSync(path.join(root, f), 'utf8');
const gitIgnores = (f: string): boolean => spawnSync('git', ['check-ignore', '-q', f], { cwd: root }).status === 0;

describe('Dockerfile', () => {
  const docker = read('Dockerfile');
  const stages = docker.split(/^FROM /m).slice(1);

  it('is a multi-stage build whose final stage has production dependencies only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const final = stages[stages.length - 1];
    expect(final).toMatch(/npm ci[^\n]*--omit=dev/);
    expect(final).toMatch(/COPY --from=\w+ \/app\/dist/);
    expect(final).toMatch(/COPY twiml/);
  });

  it('runs as a non-root user with a HEALTHCHECK on /healthz', () => {
    const final = stages[stages.length - 1];
    const user = /^USER (\S+)/m.exec(final)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(final).toMatch(/HEALTHCHECK[\s\S]*\/healthz/);
    expect(final).toMatch(/CMD \["node", (?:"--[^"]+", )*"dist\/src\/main\.js"\]/);
  });

  it('starts tolk with the Node.js flags npm start gives it', () => {
    const final = stages[stages.length - 1];
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(final)?.[1] ?? '[]') as string[];
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe(`exec ${cmd.join(' ')}`);
  });
});

describe('CI', () => {
  it('runs the test command the README gives, after installing from the lock file', () => {
    const readme = read('README.md');
    const ci = read('.ci/run');
    expect(readme).toContain('npm ci && npm run check');
    expect(ci).toMatch(/^npm ci\b/m);
    expect(ci).toMatch(/^npm run check$/m);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.check).toBe('npm run typecheck && npm run lint && npm test');
  });

  it('keeps the top level of the repository as documented', () => {
    const allowed = new Set(['src', 'test', 'twiml', 'scripts', 'Dockerfile', 'package.json', 'tsconfig.json', '.env.example', 'README.md', '.ci', 'console', 'eslint.config.mjs', 'package-lock.json', '.gitignore', '.prebuild-installrc', '.git']);
    // What git ignores is the developer's own (node_modules, .env, numbers.yaml, demo-output...).
    const extra = fs.readdirSync(root).filter((f) => !allowed.has(f) && !gitIgnores(f));
    expect(extra).toEqual([]);
    expect(['.env', 'numbers.yaml', 'data/', 'demo-output/', 'node_modules'].filter((f) => !gitIgnores(f))).toEqual([]);
  });
});

describe('npm configuration', () => {
  it('gives npm no project setting it warns about', () => {
    const r = spawnSync('npm', ['pkg', 'get', 'name'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/Unknown (project|env|user) config/);
  });

  it('compiles better-sqlite3 from source (no prebuilt binary downloaded at install), in CI and in the image', () => {
    // prebuild-install, which better-sqlite3 runs at install, reads .prebuild-installrc from the
    // folders above the package being installed.
    const r = spawnSync(process.execPath, ['-e', "process.stdout.write(JSON.stringify(require('prebuild-install/rc')({ name: 'better-sqlite3' }).buildFromSource))"], {
      cwd: path.join(root, 'node_modules/better-sqlite3'),
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(r.stdout).toBe('true');
    for (const stage of read('Dockerfile').split(/^FROM /m).slice(1).filter((s) => /npm ci/.test(s))) {
      expect(stage).toMatch(/COPY [^\n]*\.prebuild-installrc/);
    }
    const pkg = JSON.parse(read('package.json')) as { allowScripts?: Record<string, boolean> };
    expect(pkg.allowScripts?.['better-sqlite3']).toBe(true);
  });

  it('leaves npm ci no dependency install script unreviewed to warn about', () => {
    const r = spawnSync('npm', ['install-scripts', 'ls', '--json'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as { allowScripts: unknown[] }).allowScripts).toEqual([]);
  });
});

describe('one Node version everywhere', () => {
  const pkg = JSON.parse(read('package.json')) as { engines?: { node?: string } };
  const engines = pkg.engines?.node ?? '';
  const docker = read('Dockerfile');
  const dockerNode = /^ARG NODE_VERSION=(\S+)$/m.exec(docker)?.[1] ?? '';

  it('builds every image stage on the Node version the Dockerfile names, inside `engines`', () => {
    expect(semver.validRange(engines)).not.toBeNull();
    expect(semver.valid(dockerNode)).not.toBeNull();
    expect(semver.satisfies(dockerNode, engines)).toBe(true);
    const froms = [...docker.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThan(0);
    for (const image of froms) expect(image).toBe('node:${NODE_VERSION}-bookworm-slim');
  });

  it('runs the tests (this machine, CI) on a Node inside `engines`, and installs refusing any other', () => {
    expect(semver.satisfies(process.versions.node, engines)).toBe(true);
    expect(read('.ci/run')).toMatch(/^npm ci [^\n]*--engine-strict/m);
    for (const stage of docker.split(/^FROM /m).slice(1).filter((s) => /npm ci/.test(s))) expect(stage).toMatch(/npm ci [^\n]*--engine-strict/);
  });

  it('installs no package whose own `engines` excludes a Node version tolk supports', () => {
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { engines?: unknown }> };
    expect((lock.packages[''].engines as { node?: string } | undefined)?.node).toBe(engines);
    const excluding: string[] = [];
    for (const [where, p] of Object.entries(lock.packages)) {
      if (where === '') continue;
      const declared = (p.engines as { node?: unknown } | undefined)?.node;
      if (typeof declared !== 'string') continue;
      const range = semver.validRange(declared);
      if (range === null || !semver.subset(engines, range) || !semver.satisfies(dockerNode, range)) excluding.push(`${where} (node ${declared})`);
    }
    expect(excluding).toEqual([]);
  });
});
