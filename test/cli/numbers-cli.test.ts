import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { InMemoryNumberStore, type NumberStore } from '../../src/config/number-store';
import { DE_LINE, ES_LINE } from '../http/helpers/admin-app';
import { startTolkServer, type TolkServer } from './helpers/run-tolk';

// Each test runs the real executable several times (tsx compiles it on every start).
jest.setTimeout(60_000);

let server: TolkServer;
let dir: string;
beforeEach(async () => {
  server = await startTolkServer();
  dir = await mkdtemp(path.join(os.tmpdir(), 'tolk-cli-'));
});
afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('tolk numbers list / show', () => {
  it('lists numbers as a table and as the API JSON', async () => {
    const [text, json] = await Promise.all([server.tolk('numbers', 'list'), server.tolk('numbers', 'list', '--json')]);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toMatch(/^NUMBER\s+DESTINATION\s+CALLER\s+AGENT/);
    expect(text.stdout).toMatch(/\+15550001111\s+\+15550002222\s+es\s+en/);
    expect(text.stdout).toContain('sip:agent@pbx.example.com');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ numbers: [ES_LINE, DE_LINE] });
  });

  it('shows one number; exit 1 for a number tolk does not serve, 2 for one that is not a number', async () => {
    const [text, json, missing, bad] = await Promise.all([
      server.tolk('numbers', 'show', '+1 555 000 1111'),
      server.tolk('numbers', 'show', '+15550001111', '--json'),
      server.tolk('numbers', 'show', '+15559999999'),
      server.tolk('numbers', 'show', 'sales'),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Caller language\s+es/);
    expect(text.stdout).toMatch(/Greeting\s+Un momento, por favor\./);
    expect(JSON.parse(json.stdout)).toEqual(ES_LINE);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toContain('tolk: number +15559999999 is not configured');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'sales' is not a phone number");
  });
});

describe('tolk numbers set', () => {
  it('adds a number, and the server stores it', async () => {
    const run = await server.tolk('numbers', 'set', '+15550005555', '--destination', 'client:alice', '--caller-language', 'fr', '--agent-language', 'en', '--greeting', 'Bonjour');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Added +15550005555; it applies from the next call.');
    await expect(server.numbers.lookup('+15550005555')).resolves.toMatchObject({ destination: 'client:alice', callerLanguage: 'fr', greeting: 'Bonjour', originalVolume: 0.16 });
  });

  it('changes only the given settings of an existing number; --no-greeting removes the greeting', async () => {
    const run = await server.tolk('numbers', 'set', '+15550001111', '--caller-language', 'pt-BR', '--original-volume', '0.3', '--echo-target-language', '--no-greeting', '--json');
    expect(run.code).toBe(0);
    const { greeting: _g, ...rest } = ES_LINE;
    const expected = { ...rest, callerLanguage: 'pt-BR', originalVolume: 0.3, echoTargetLanguage: true };
    expect(JSON.parse(run.stdout)).toMatchObject(expected);
    const stored = await server.numbers.lookup('+15550001111');
    expect(stored).toMatchObject(expected);
    expect(stored).not.toHaveProperty('greeting');
  });

  it('puts a number in conference mode with open interpretation, and names the option of a refused word', async () => {
    const run = await server.tolk('numbers', 'set', '+15550001111', '--mode', 'conference', '--interpretation', 'open');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Mode\s+conference/);
    expect(run.stdout).toMatch(/Interpretation\s+open/);
    await expect(server.numbers.lookup('+15550001111')).resolves.toMatchObject({ mode: 'conference', interpretation: 'open' });
    const bad = await server.tolk('numbers', 'set', '+15550001111', '--mode', 'meeting');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--mode \(mode\): 'meeting' is not a mode .*: use 'direct' or 'conference'/);
  });

  it('says that a number in conference mode does not offer its language menu, as its callers hear none', async () => {
    await server.tolk('numbers', 'set', '+15550001111', '--language-menu', 'es,de');
    const run = await server.tolk('numbers', 'set', '+15550001111', '--mode', 'conference');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Language menu\s+es, de \(not offered in conference mode\)/);
    const list = await server.tolk('numbers', 'list');
    expect(list.stdout).toMatch(/\+15550001111\s+\+15550002222\s+es\s+en\s+es,de \(not offered in conference mode\)/);
  });

  it('exit 2, a usage error, with a message per option when tolk finds the settings invalid', async () => {
    const run = await server.tolk('numbers', 'set', '+15550005555', '--caller-language', 'german', '--agent-language', 'en');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('tolk: invalid number settings:');
    expect(run.stderr).toContain('--destination (destination): is required');
    expect(run.stderr).toMatch(/--caller-language \(callerLanguage\): unknown language 'german'; did you mean de/);
    await expect(server.numbers.lookup('+15550005555')).resolves.toBeUndefined();
  });

  it('problems as JSON on stderr with --json', async () => {
    const run = await server.tolk('numbers', 'set', '+15550005555', '--destination', 'nowhere', '--caller-language', 'es', '--agent-language', 'en', '--json');
    expect(run.code).toBe(2);
    const err = JSON.parse(run.stderr) as { status: number; problems: { path: string[] }[] };
    expect(err.status).toBe(400);
    expect(err.problems.map((p) => p.path)).toEqual([['destination']]);
  });

  it('exit 2 for option values it can check itself', async () => {
    const [vol, missingValue, unknown] = await Promise.all([
      server.tolk('numbers', 'set', '+15550001111', '--original-volume', '2'),
      server.tolk('numbers', 'set', '+15550001111', '--destination'),
      server.tolk('numbers', 'set', '+15550001111', '--colour', 'blue'),
    ]);
    expect(vol.code).toBe(2);
    expect(vol.stderr).toContain('must be a number from 0 (off) to 1');
    expect(missingValue.code).toBe(2);
    expect(missingValue.stderr).toContain("option '--destination <address>' argument missing");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--colour'");
    await expect(server.numbers.lookup('+15550001111')).resolves.toEqual(ES_LINE);
  });
});

describe('tolk numbers remove / forget-caller', () => {
  it('removes a number; removing it again fails with exit 1', async () => {
    const first = await server.tolk('numbers', 'remove', '+15550003333');
    expect(first).toMatchObject({ code: 0, stdout: 'Removed +15550003333.\n' });
    await expect(server.numbers.lookup('+15550003333')).resolves.toBeUndefined();
    const again = await server.tolk('numbers', 'remove', '+15550003333', '--json');
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stderr)).toEqual({ error: 'number +15550003333 is not configured', status: 404 });
  });

  it("forgets a caller's language, or says the deployment does not remember any", async () => {
    const unsupported = await server.tolk('numbers', 'forget-caller', '+15550001111', '+34600000000');
    expect(unsupported.code).toBe(1);
    expect(unsupported.stderr).toContain('does not remember caller languages');

    const forgotten: string[] = [];
    const numbers: NumberStore = Object.assign(new InMemoryNumberStore([ES_LINE]), {
      forgetCallerLanguage: (n: string, c: string) => Promise.resolve(forgotten.push(`${n} ${c}`) > 0),
    });
    const other = await startTolkServer({ numbers });
    try {
      const run = await other.tolk('numbers', 'forget-caller', '+15550001111', '+34600000000');
      expect(run).toMatchObject({ code: 0, stdout: 'Forgot the language of +34600000000 on +15550001111.\n' });
      expect(forgotten).toEqual(['+15550001111 +34600000000']);
    } finally {
      await other.close();
    }
  });
});

describe('tolk numbers import / export', () => {
  it('export prints a numbers file that import loads back unchanged', async () => {
    const exported = await server.tolk('numbers', 'export');
    expect(exported.code).toBe(0);
    expect(parse(exported.stdout)).toEqual({ numbers: [ES_LINE, DE_LINE] });
    const file = path.join(dir, 'numbers.yaml');
    await writeFile(file, exported.stdout);

    const empty = await startTolkServer({ numbers: new InMemoryNumberStore() });
    try {
      const imported = await empty.tolk('numbers', 'import', file);
      expect(imported.code).toBe(0);
      expect(imported.stdout).toContain('created  +15550001111');
      expect(imported.stdout).toContain('Imported 2 of 2 numbers');
      await expect(empty.numbers.list()).resolves.toEqual(await server.numbers.list());
      const again = await empty.tolk('numbers', 'import', file, '--json');
      expect(JSON.parse(again.stdout)).toEqual({
        results: [
          { number: '+15550001111', result: 'updated' },
          { number: '+15550003333', result: 'updated' },
        ],
      });
    } finally {
      await empty.close();
    }
  });

  it('export --json prints the API JSON', async () => {
    const run = await server.tolk('numbers', 'export', '--json');
    expect(JSON.parse(run.stdout)).toEqual({ numbers: [ES_LINE, DE_LINE] });
  });

  it('exit 2 for a file that cannot be read or is not a valid numbers file, before sending anything', async () => {
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(bad, 'numbers:\n  - number: "+15550007777"\n    destination: "+15550002222"\n    callerLanguage: klingon\n    agentLanguage: en\n');
    const [missing, invalid] = await Promise.all([server.tolk('numbers', 'import', path.join(dir, 'nope.yaml')), server.tolk('numbers', 'import', bad)]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read');
    expect(missing.stderr).toContain('ENOENT');
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/numbers\[0\] \(\+15550007777\)\.callerLanguage: unknown language 'klingon'.*\(line 4\)/);
    await expect(server.numbers.lookup('+15550007777')).resolves.toBeUndefined();
  });

  it('exit 1 when tolk refuses some entries; the others are imported', async () => {
    const refusing: NumberStore = new InMemoryNumberStore();
    const upsert = refusing.upsert.bind(refusing);
    refusing.upsert = (s) => (s.number === DE_LINE.number ? Promise.reject(new Error('disk full')) : upsert(s));
    const other = await startTolkServer({ numbers: refusing });
    try {
      const file = path.join(dir, 'two.yaml');
      await writeFile(file, (await server.tolk('numbers', 'export')).stdout);
      const run = await other.tolk('numbers', 'import', file);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('failed   +15550003333: internal error');
      expect(run.stdout).toContain('Imported 1 of 2 numbers');
      await expect(refusing.lookup(ES_LINE.number)).resolves.toEqual(ES_LINE);
    } finally {
      await other.close();
    }
    expect(await readFile(path.join(dir, 'two.yaml'), 'utf8')).toContain('numbers:');
  });
});
