/**
 * The repository's own promises: the Docker image is built as the README says, and CI runs the
 * very test command the README gives.
 */
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const read = (f: string): string => fs.readFileSync(path.join(root, f), 'utf8');

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
    expect(final).toMatch(/CMD \["node", "dist\/src\/main\.js"\]/);
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
    const allowed = new Set(['src', 'test', 'twiml', 'scripts', 'Dockerfile', 'package.json', 'tsconfig.json', '.env.example', 'README.md', '.ci', 'console', 'eslint.config.mjs', 'package-lock.json', '.gitignore', '.npmrc', '.git', 'node_modules', 'dist', 'demo-output', 'data', 'coverage', '.env']);
    const extra = fs.readdirSync(root).filter((f) => !allowed.has(f));
    expect(extra).toEqual([]);
  });
});
