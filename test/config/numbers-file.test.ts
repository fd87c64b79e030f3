import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNumbersFile, NumbersConfigError, parseNumbers } from '../../src/config/numbers-file';

/** The example shown in the README; it must stay valid. */
const README_EXAMPLE = `# tolk numbers (TOLK_NUMBERS)
numbers:
  - number: "+15550001111"          # the Twilio number callers dial (quoted: E.164 keeps its +)
    destination: "+15550002222"     # the agent: E.164, sip:user@host or client:identity
    callerLanguage: es
    agentLanguage: en
    greeting: "Hola. Le comunicamos con un agente; la llamada será interpretada."
  - number: "+15550003333"
    destination: "sip:support@pbx.example.com"
    callerLanguage: de
    agentLanguage: en
    echoTargetLanguage: true
    originalVolume: 0               # no original voice under the translation
`;

function problemsOf(yamlText: string): string[] {
  try {
    parseNumbers(yamlText);
  } catch (err) {
    expect(err).toBeInstanceOf(NumbersConfigError);
    return (err as NumbersConfigError).problems;
  }
  throw new Error('expected parseNumbers to throw');
}

describe('parseNumbers', () => {
  it('reads the README example and applies defaults', () => {
    expect(parseNumbers(README_EXAMPLE)).toEqual([
      {
        number: '+15550001111',
        destination: '+15550002222',
        callerLanguage: 'es',
        agentLanguage: 'en',
        echoTargetLanguage: false,
        originalVolume: 0.16,
        rememberLanguage: true,
        greeting: 'Hola. Le comunicamos con un agente; la llamada será interpretada.',
      },
      {
        number: '+15550003333',
        destination: 'sip:support@pbx.example.com',
        callerLanguage: 'de',
        agentLanguage: 'en',
        echoTargetLanguage: true,
        originalVolume: 0,
        rememberLanguage: true,
      },
    ]);
  });

  it('reads a conference mode and interpretation, and refuses an unknown one by line', () => {
    const [s] = parseNumbers('numbers:\n  - {number: "+15550001111", destination: "+15550002222", callerLanguage: es, agentLanguage: en, mode: conference, interpretation: open}\n');
    expect(s).toMatchObject({ mode: 'conference', interpretation: 'open' });
    const problems = problemsOf('numbers:\n  - number: "+15550001111"\n    destination: "+15550002222"\n    callerLanguage: es\n    agentLanguage: en\n    mode: conferense\n');
    expect(problems).toEqual([expect.stringMatching(/^numbers\[0\] \(\+15550001111\)\.mode: 'conferense' is not a mode .*: use 'direct' or 'conference' \(line 6\)$/)]);
  });

  it('accepts client identities and region-tagged codes', () => {
    const [s] = parseNumbers(
      'numbers:\n  - {number: "+4930123456", destination: "client:alice", callerLanguage: pt-BR, agentLanguage: zh-Hans}\n',
    );
    expect(s).toMatchObject({ destination: 'client:alice', callerLanguage: 'pt-BR', agentLanguage: 'zh-Hans' });
  });

  it('names the entry, field and line of an unknown language and suggests the nearest codes', () => {
    const problems = problemsOf(`numbers:
  - number: "+15550009999"
    destination: "+15550002222"
    callerLanguage: es
    agentLanguage: en
  - number: "+15550001111"
    destination: "+15550002222"
    callerLanguage: spanish
    agentLanguage: pt
`);
    expect(problems).toEqual([
      "numbers[1] (+15550001111).callerLanguage: unknown language 'spanish'; did you mean es? (line 8)",
      "numbers[1] (+15550001111).agentLanguage: unknown language 'pt'; did you mean pt-BR, pt-PT? (line 9)",
    ]);
  });

  it('lists every supported code when nothing is near', () => {
    const [p] = problemsOf('numbers:\n  - {number: "+15550001111", destination: "+15550002222", callerLanguage: qqq, agentLanguage: en}\n');
    expect(p).toMatch(/callerLanguage: unknown language 'qqq'; supported codes: af, ak, .*\ben\b.*zu/);
  });

  it('names entries with a bad number, a missing destination, bad values and misspelt keys', () => {
    const problems = problemsOf(`numbers:
  - number: "555-0001"
    callerLanguage: es
    agentLanguage: en
  - number: +15550003333
    destination: "+15550002222"
    callerLanguage: es
    agentLanguage: en
  - number: "+15550004444"
    destination: "mailto:x@example.com"
    callerLanguage: es
    agentLanguage: en
    originalVolume: 1.5
    echoTargetLanguage: "yes"
    callerLangauge: es
`);
    expect(problems).toEqual([
      expect.stringMatching(/^numbers\[0\] \(555-0001\)\.number: '555-0001' is not an E\.164 number.*\(line 2\)$/),
      'numbers[0] (555-0001).destination: is required (line 2)',
      expect.stringMatching(/^numbers\[1\]\.number: must be a quoted string such as "\+15550003333".*\(line 5\)$/),
      expect.stringMatching(/^numbers\[2\] \(\+15550004444\)\.destination: 'mailto:x@example.com' is not a destination.*\(line 10\)$/),
      'numbers[2] (+15550004444).echoTargetLanguage: must be true or false, not a string (line 14)',
      'numbers[2] (+15550004444).originalVolume: must be from 0 (off) to 1 (full volume) (line 13)',
      expect.stringMatching(/^numbers\[2\] \(\+15550004444\): unknown setting 'callerLangauge'.*\(line 9\)$/),
    ]);
  });

  it('rejects duplicate numbers, naming both entries', () => {
    const entry = (n: string) => `  - {number: "${n}", destination: "+15550002222", callerLanguage: es, agentLanguage: en}\n`;
    const problems = problemsOf(`numbers:\n${entry('+15550001111')}${entry('+15550005555')}${entry('+15550001111')}`);
    expect(problems).toEqual(['numbers[2] (+15550001111): duplicate number, already configured by numbers[0] (line 4)']);
  });

  it('reports YAML syntax errors with their line', () => {
    const problems = problemsOf('numbers:\n  - number: "+15550001111"\n    destination: [\n  agentLanguage: en\n');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(/^line 4, column \d+: YAML syntax error: /);
  });

  it('quotes only the start of a long offending token, and counts syntax errors past the first twenty', () => {
    const long = problemsOf(`numbers:\n  - languageMenu: ]t\n    greeting: ${'%'.repeat(5000)}\n`);
    expect(long.some((p) => /^line 3, column \d+: YAML syntax error: .*%%%\.\.\.$/.test(p))).toBe(true);
    for (const p of long) expect(p.length).toBeLessThan(300);

    const many = problemsOf(`numbers:\n${'  - a: [\n'.repeat(60)}`);
    expect(many.length).toBe(21);
    expect(many[20]).toMatch(/^and \d+ more YAML syntax errors$/);
  });

  it('rejects a file without a numbers list, and unknown top-level keys', () => {
    expect(problemsOf('')).toEqual(['expected a top-level `numbers:` list of entries']);
    expect(problemsOf('number:\n  - x\n')).toEqual(['expected a top-level `numbers:` list of entries']);
    expect(problemsOf('numbers: 3\n')).toEqual(['numbers: must be a list of entries (line 1)']);
    expect(problemsOf('numbers: []\nnumberz: []\n')).toEqual(["unknown top-level key 'numberz'; only 'numbers' is allowed (line 2)"]);
  });

  it('puts every problem in the error message', () => {
    expect(() => parseNumbers('numbers:\n  - {number: "+1555", destination: "x"}\n', 'numbers file n.yaml')).toThrow(
      /^Invalid numbers file n\.yaml:\n {2}- numbers\[0\] \(\+1555\)\.destination: .*\n {2}- numbers\[0\] \(\+1555\)\.callerLanguage: is required/,
    );
  });
});

describe('loadNumbersFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tolk-numbers-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('returns a directory that finds numbers however the carrier writes them', async () => {
    const path = join(dir, 'numbers.yaml');
    await writeFile(path, README_EXAMPLE);
    const numbers = await loadNumbersFile(path);
    expect((await numbers.list()).map((n) => n.number)).toEqual(['+15550001111', '+15550003333']);
    expect((await numbers.lookup('+15550001111'))?.callerLanguage).toBe('es');
    expect((await numbers.lookup(' +1 555-000-3333 '))?.destination).toBe('sip:support@pbx.example.com');
    expect((await numbers.lookup('sip:+15550003333@tolk.sip.twilio.com'))?.agentLanguage).toBe('en');
    expect(await numbers.lookup('+15559999999')).toBeUndefined();
    expect(await numbers.lookup('anonymous')).toBeUndefined();
  });

  it('refuses YAML the parser takes but cannot turn into data (an alias to no anchor) with a clear error', () => {
    expect(() => parseNumbers('numbers:\n  - number: *nowhere\n')).toThrow(NumbersConfigError);
    expect(() => parseNumbers('numbers:\n  - number: *nowhere\n')).toThrow(/YAML error: .*nowhere/);
  });

  it('refuses a file over 1 MiB without parsing it, saying why', async () => {
    const path = join(dir, 'huge.yaml');
    await writeFile(path, `numbers:\n${'  # padding\n'.repeat(100_000)}`);
    await expect(loadNumbersFile(path)).rejects.toThrow(/larger than 1 MiB/);
    expect(() => parseNumbers('#'.repeat(1024 * 1024 + 1))).toThrow(/larger than 1 MiB/);
  });

  it('refuses an oversized language code with a short message', () => {
    const problems = (() => {
      try {
        parseNumbers(`numbers:\n  - {number: "+15550001111", destination: "+15550002222", callerLanguage: ${'x'.repeat(100_000)}, agentLanguage: en}\n`);
      } catch (e) {
        return (e as NumbersConfigError).problems;
      }
      return [];
    })();
    expect(problems).toEqual(['numbers[0] (+15550001111).callerLanguage: must be a language code of at most 35 characters (line 2)']);
  });

  it('names the file when it is invalid or missing', async () => {
    const path = join(dir, 'bad.yaml');
    await writeFile(path, 'numbers:\n  - {number: "+15550001111", destination: "+15550002222", callerLanguage: xx, agentLanguage: en}\n');
    await expect(loadNumbersFile(path)).rejects.toThrow(`Invalid numbers file ${path}:`);
    await expect(loadNumbersFile(join(dir, 'missing.yaml'))).rejects.toThrow(`cannot read the file: no such file (ENOENT)`);
  });

  it('says where a relative path was looked for when the file is not there', async () => {
    await expect(loadNumbersFile('numbers-that-is-not-here.yaml')).rejects.toThrow(
      `cannot read the file: no such file (looked for ${join(process.cwd(), 'numbers-that-is-not-here.yaml')}) (ENOENT)`,
    );
    await expect(loadNumbersFile(dir)).rejects.toThrow('cannot read the file: it is a folder, not a file (EISDIR)');
  });
});
