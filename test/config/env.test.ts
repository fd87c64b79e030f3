import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, envNumber, envSchema, isLoopbackUrl, loadConfig } from '../../src/config/env';

const valid = {
  PUBLIC_URL: 'https://tolk.example.com',
  TWILIO_ACCOUNT_SID: 'AC' + '0123456789abcdef'.repeat(2),
  TWILIO_AUTH_TOKEN: 'f'.repeat(32),
  GEMINI_API_KEY: 'test-key',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('accepts a minimal valid environment and applies defaults', () => {
    const c = loadConfig(valid);
    expect(c.PORT).toBe(8080);
    expect(c.GEMINI_MODEL).toBe('gemini-3.5-live-translate-preview');
    expect(c.GEMINI_API_VERSION).toBe('v1beta');
    expect(c.TRANSLATE_CHUNK_MS).toBe(100);
    expect(c.TWILIO_WS_SIGNATURE).toBe('log');
    expect(c.TOLK_MAX_CALLS).toBeUndefined(); // no cap unless one is set
    expect(loadConfig({ ...valid, TOLK_MAX_CALLS: '150' }).TOLK_MAX_CALLS).toBe(150);
    expect(c.TOLK_RETENTION_DAYS).toBeUndefined(); // kept until erased by hand unless set
    expect(loadConfig({ ...valid, TOLK_RETENTION_DAYS: '30' }).TOLK_RETENTION_DAYS).toBe(30);
    expect(c.TOLK_NUMBERS_MODE).toBe('seed'); // the numbers file only fills an empty database
    expect(c.DATABASE_CONNECT_TIMEOUT_MS).toBe(10_000);
  });

  it('takes seed or replace as TOLK_NUMBERS_MODE, nothing else', () => {
    expect(loadConfig({ ...valid, TOLK_NUMBERS_MODE: 'replace' }).TOLK_NUMBERS_MODE).toBe('replace');
    expect(problemsOf({ ...valid, TOLK_NUMBERS_MODE: 'overwrite' })).toEqual(['TOLK_NUMBERS_MODE must be seed or replace']);
    expect(problemsOf({ ...valid, DATABASE_CONNECT_TIMEOUT_MS: '0' })[0]).toMatch(/^DATABASE_CONNECT_TIMEOUT_MS /);
  });

  it('refuses a cluster instance without the shared secret, Redis or PostgreSQL, saying why each is needed', () => {
    const problems = problemsOf({ ...valid, TOLK_CLUSTER: 'on', TOLK_INSTANCE_ID: 'tolk/1' });
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/^MEDIA_STREAM_SECRET is required when TOLK_CLUSTER=on: a media stream may reach another instance than the one that issued its token/);
    expect(problems[1]).toMatch(/^REDIS_URL is required when TOLK_CLUSTER=on/);
    expect(problems[2]).toMatch(/^DATABASE_URL is required when TOLK_CLUSTER=on/);
    expect(problems[3]).toMatch(/^TOLK_INSTANCE_ID must be 1 to 63 letters/);
    const cluster = { ...valid, TOLK_CLUSTER: 'on', MEDIA_STREAM_SECRET: 's'.repeat(32), REDIS_URL: 'redis://r:6379', DATABASE_URL: 'postgres://db/tolk', TOLK_INSTANCE_ID: 'tolk-1' };
    expect(loadConfig(cluster).TOLK_CLUSTER).toBe('on');
    // One instance needs none of it.
    expect(loadConfig({ ...valid, TOLK_INSTANCE_ID: 'host:8080' }).TOLK_CLUSTER).toBe('off');
    // Request paths are matched in lower case, so is the name that is part of the media stream URL.
    expect(loadConfig({ ...cluster, TOLK_INSTANCE_ID: 'Tolk-1' }).TOLK_INSTANCE_ID).toBe('tolk-1');
  });

  it('takes auto or a number of processes, and more than one only with Redis and PostgreSQL', () => {
    expect(loadConfig(valid).TOLK_PROCESSES).toBe(1);
    expect(loadConfig({ ...valid, TOLK_PROCESSES: 'auto', REDIS_URL: 'redis://r:6379', DATABASE_URL: 'postgres://db/tolk' }).TOLK_PROCESSES).toBe('auto');
    expect(problemsOf({ ...valid, TOLK_PROCESSES: 'many' })).toEqual(["TOLK_PROCESSES must be auto or a whole number of processes from 1 to 256, got 'many'"]);
    expect(problemsOf({ ...valid, TOLK_PROCESSES: '0' })).toEqual(["TOLK_PROCESSES must be auto or a whole number of processes from 1 to 256, got '0'"]);
    const problems = problemsOf({ ...valid, TOLK_PROCESSES: '2' });
    expect(problems.map((p) => p.split(' ')[0])).toEqual(['REDIS_URL', 'DATABASE_URL']);
  });

  it('names every missing required variable', () => {
    const problems = problemsOf({});
    for (const name of ['PUBLIC_URL', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'GEMINI_API_KEY']) {
      expect(problems.some((p) => p.startsWith(`${name} is required`))).toBe(true);
    }
  });

  it('names a malformed variable and says what is wrong', () => {
    expect(problemsOf({ ...valid, PORT: 'eighty' })).toEqual([expect.stringMatching(/^PORT /)]);
    expect(problemsOf({ ...valid, PUBLIC_URL: 'ftp://x' })).toEqual(['PUBLIC_URL must be an http(s) URL']);
    expect(problemsOf({ ...valid, TWILIO_ACCOUNT_SID: 'AB123' })[0]).toMatch(/^TWILIO_ACCOUNT_SID must look like AC/);
    expect(problemsOf({ ...valid, TRUST_PROXY: 'maybe' })[0]).toMatch(/^TRUST_PROXY /);
    expect(problemsOf({ ...valid, TOLK_MAX_CALLS: '0' })).toEqual(['TOLK_MAX_CALLS must be at least 1']);
    expect(problemsOf({ ...valid, TOLK_RETENTION_DAYS: '0' })).toEqual(['TOLK_RETENTION_DAYS must be at least 1']);
    expect(problemsOf({ ...valid, TOLK_RETENTION_DAYS: '7.5' })).toEqual(['TOLK_RETENTION_DAYS must be a whole number of days']);
    expect(problemsOf({ ...valid, TOLK_MAX_CALLS: 'lots' })[0]).toMatch(/^TOLK_MAX_CALLS /);
  });

  it('takes a plain-http PUBLIC_URL only on a loopback host, which Twilio could not reach anyway', () => {
    expect(problemsOf({ ...valid, PUBLIC_URL: 'http://tolk.example.com' })).toEqual([expect.stringMatching(/^PUBLIC_URL must be an https URL: Twilio refuses the ws:\/\/ media stream URL/)]);
    expect(problemsOf({ ...valid, PUBLIC_URL: 'http://10.0.0.5:8080' })).toHaveLength(1);
    expect(problemsOf({ ...valid, PUBLIC_URL: 'http://127.0.0.1.example.com' })).toHaveLength(1);
    for (const url of ['http://127.0.0.1:8080', 'http://localhost:8080/tolk', 'http://[::1]:8080', 'https://tolk.example.com']) {
      expect(loadConfig({ ...valid, PUBLIC_URL: url }).PUBLIC_URL).toBe(url);
    }
    expect(isLoopbackUrl('http://127.0.0.1:8080')).toBe(true);
    expect(isLoopbackUrl('https://tolk.example.com')).toBe(false);
  });

  it('says of a numeric variable that is not a number what kind of number it takes, from where to where, and what it got', () => {
    expect(problemsOf({ ...valid, TOLK_RETENTION_DAYS: 'abc' })).toEqual(["TOLK_RETENTION_DAYS must be a whole number of days from 1 to 36500, got 'abc'"]);
    expect(problemsOf({ ...valid, PORT: 'x' })).toEqual(["PORT must be a TCP port number from 0 to 65535, got 'x'"]);
    expect(problemsOf({ ...valid, TRANSLATE_CHUNK_MS: 'fast' })).toEqual(["TRANSLATE_CHUNK_MS must be a whole number of milliseconds from 20 to 1000, got 'fast'"]);
    expect(problemsOf({ ...valid, TOLK_MAX_CALLS: 'lots' })).toEqual(["TOLK_MAX_CALLS must be a whole number of calls (at least 1), got 'lots'"]);
    expect(problemsOf({ ...valid, TOLK_STEP_TIMEOUT_SEC: '1m' })).toEqual(["TOLK_STEP_TIMEOUT_SEC must be a number of seconds from 0.1 to 3600, got '1m'"]);
    expect(problemsOf({ ...valid, TOLK_DRAIN_TIMEOUT_MS: '30 min' })).toEqual(["TOLK_DRAIN_TIMEOUT_MS must be a whole number of milliseconds from 0 to 86400000, got '30 min'"]);
    // Out of range, or not whole, where a variable has no words of its own: the same sentence.
    expect(problemsOf({ ...valid, TRANSLATE_CHUNK_MS: '5' })).toEqual(["TRANSLATE_CHUNK_MS must be a whole number of milliseconds from 20 to 1000, got '5'"]);
    expect(problemsOf({ ...valid, TWILIO_CPS: '1.5' })).toEqual(["TWILIO_CPS must be a whole number of calls per second from 1 to 1000, got '1.5'"]);
    expect(problemsOf({ ...valid, PORT: '70000' })).toEqual(["PORT must be a TCP port number from 0 to 65535, got '70000'"]);
    // Where a variable has its own words for a miss, they stay.
    expect(problemsOf({ ...valid, TOLK_DRAIN_TIMEOUT_MS: '1e9' })).toEqual(['TOLK_DRAIN_TIMEOUT_MS must be at most 86400000 (24 h)']);
    expect(problemsOf({ ...valid, TOLK_RETENTION_DAYS: '36501' })).toEqual(['TOLK_RETENTION_DAYS must be at most 36500']);
    expect(problemsOf({ ...valid, TOLK_MAX_CONFERENCE_LANGUAGES: '1' })).toEqual(['TOLK_MAX_CONFERENCE_LANGUAGES must be at least 2']);
    expect(problemsOf({ ...valid, TOLK_MAX_CONFERENCE_LANGUAGES: 'two' })).toEqual(["TOLK_MAX_CONFERENCE_LANGUAGES must be a whole number of languages from 2 to 16, got 'two'"]);
    // Every numeric variable is read this way: none reports zod's own words.
    const zodWords = Object.entries(envSchema.shape).flatMap(([name, field]) => {
      const r = field.safeParse('NaN');
      return r.success ? [] : r.error.issues.filter((i) => /expected number|received NaN/.test(i.message)).map((i) => `${name} ${i.message}`);
    });
    expect(zodWords).toEqual([]);
  });

  it('reads numbers as before: spaces around them, decimals where allowed', () => {
    expect(loadConfig({ ...valid, PORT: ' 8081 ' }).PORT).toBe(8081);
    expect(loadConfig({ ...valid, TOLK_STEP_TIMEOUT_SEC: '0.5' }).TOLK_STEP_TIMEOUT_SEC).toBe(0.5);
    expect(loadConfig({ ...valid, TOLK_DRAIN_TIMEOUT_MS: '0' }).TOLK_DRAIN_TIMEOUT_MS).toBe(0);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ ...valid, PORT: '' }).PORT).toBe(8080);
    expect(loadConfig({ ...valid, TOLK_RETENTION_DAYS: '' }).TOLK_RETENTION_DAYS).toBeUndefined();
    expect(loadConfig({ ...valid, TOLK_MAX_CALLS: '' }).TOLK_MAX_CALLS).toBeUndefined();
    // Blank space is set, and is no number: it used to become 0 (PORT 0: any free port).
    expect(problemsOf({ ...valid, PORT: ' ' })).toEqual(["PORT must be a TCP port number from 0 to 65535, got ' '"]);
    expect(problemsOf({ ...valid, GEMINI_API_KEY: '' })).toEqual(['GEMINI_API_KEY is required but not set']);
  });

  it('never echoes secret values in its error message', () => {
    const err = (() => {
      try {
        loadConfig({ ...valid, TWILIO_AUTH_TOKEN: 'short-secret' });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err?.message).toContain('TWILIO_AUTH_TOKEN');
    expect(err?.message).not.toContain('short-secret');
  });
});

describe('envNumber', () => {
  const parse = (schema: ReturnType<typeof envNumber>, input: unknown): number | string[] => {
    const r = schema.safeParse(input);
    return r.success ? r.data : r.error.issues.map((i) => i.message);
  };

  it('takes a whole number in range, given as text or as a number', () => {
    const days = envNumber({ unit: 'days', min: 1, max: 30 });
    expect(parse(days, '7')).toBe(7);
    expect(parse(days, ' 30 ')).toBe(30);
    expect(parse(days, 1)).toBe(1);
  });

  it('says what it wants and what it got, whatever the miss', () => {
    const days = envNumber({ unit: 'days', min: 1, max: 30 });
    const wanted = (got: string) => [`must be a whole number of days from 1 to 30, got ${got}`];
    expect(parse(days, 'abc')).toEqual(wanted("'abc'"));
    expect(parse(days, '')).toEqual(wanted("''"));
    expect(parse(days, 'Infinity')).toEqual(wanted("'Infinity'"));
    expect(parse(days, '7 days')).toEqual(wanted("'7 days'"));
    expect(parse(days, '1.5')).toEqual(wanted("'1.5'"));
    expect(parse(days, '0')).toEqual(wanted("'0'"));
    expect(parse(days, '31')).toEqual(wanted("'31'"));
    expect(parse(days, 'x'.repeat(100))).toEqual(wanted(`'${'x'.repeat(40)}...'`));
  });

  it.each(['0x10', '0X1F', '0b11', '0o7', '-Infinity', '1e400'])('refuses %s: only decimals are read, not a number written another way', (given) => {
    expect(parse(envNumber({ unit: 'milliseconds', min: 0, max: 600_000 }), given)).toEqual([`must be a whole number of milliseconds from 0 to 600000, got '${given}'`]);
  });

  it('reads a sign, leading zeros, an exponent and a point as before, and -0 as 0', () => {
    const ms = envNumber({ unit: 'milliseconds', min: 0, max: 600_000 });
    const read = ['+10', '010', '3e4', '10.0', '\t10\n', '-0'].map((given) => parse(ms, given));
    expect(read).toEqual([10, 10, 30_000, 10, 10, 0]);
    expect(Object.is(read[5], 0)).toBe(true);
    expect(parse(envNumber({ unit: 'seconds', whole: false, min: 0.1, max: 60 }), '.5')).toBe(0.5);
  });

  it('words a number that need not be whole, one without an upper bound, and one with a name of its own', () => {
    expect(parse(envNumber({ unit: 'seconds', whole: false, min: 0.1, max: 60 }), '0.25')).toBe(0.25);
    expect(parse(envNumber({ unit: 'seconds', whole: false, min: 0.1, max: 60 }), 'soon')).toEqual(["must be a number of seconds from 0.1 to 60, got 'soon'"]);
    expect(parse(envNumber({ unit: 'calls', min: 1 }), '0')).toEqual(["must be a whole number of calls (at least 1), got '0'"]);
    expect(parse(envNumber({ min: 1 }), 'many')).toEqual(["must be a whole number (at least 1), got 'many'"]);
    expect(parse(envNumber({ noun: 'a TCP port number', min: 0, max: 65535 }), 'http')).toEqual(["must be a TCP port number from 0 to 65535, got 'http'"]);
  });

  it("keeps a variable's own words for a miss they cover, and says the whole rule for a value that is no number", () => {
    const days = envNumber({ unit: 'days', min: 1, max: 30, messages: { notWhole: 'must be a whole number of days', tooSmall: 'must be at least 1', tooBig: 'must be at most 30 (a month)' } });
    expect(parse(days, '1.5')).toEqual(['must be a whole number of days']);
    expect(parse(days, '0')).toEqual(['must be at least 1']);
    expect(parse(days, '31')).toEqual(['must be at most 30 (a month)']);
    expect(parse(days, 'soon')).toEqual(["must be a whole number of days from 1 to 30, got 'soon'"]);
  });
});

describe('.env.example', () => {
  it('lists every variable tolk reads, as the README says it does', () => {
    const listed = new Set(
      fs
        .readFileSync(path.join(__dirname, '../../.env.example'), 'utf8')
        .split('\n')
        .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
        .filter((name): name is string => name !== undefined),
    );
    expect(Object.keys(envSchema.shape).filter((name) => !listed.has(name))).toEqual([]);
  });
});
