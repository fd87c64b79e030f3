/**
 * TOLK_NUMBERS never overwrites silently: by default the file only seeds an empty database, and
 * `replace` logs every difference it applies. Start-up touches the stored numbers only once
 * everything else has succeeded.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startApp } from '../../src/app';
import { testAppConfig } from '../helpers/app-config';
import { InMemoryNumberStore } from '../../src/config/number-store';
import { NumbersConfigError } from '../../src/config/numbers-file';
import { applyNumbersFile, describeDiff, diffNumbers } from '../../src/config/numbers-import';
import type { NumberSettings } from '../../src/config/numbers';
import { StartupError } from '../../src/config/startup-error';
import { openStore } from '../../src/store/open-store';
import { silentLogger } from '../store/helpers/silent-logger';
import { captureLogger } from '../twilio/helpers/logs';

const ES: NumberSettings = { number: '+15550001111', destination: '+15550002222', callerLanguage: 'es', agentLanguage: 'en', echoTargetLanguage: false, originalVolume: 0.16, rememberLanguage: true };
const DE: NumberSettings = { number: '+15550003333', destination: 'sip:support@pbx.example.com', callerLanguage: 'de', agentLanguage: 'en', echoTargetLanguage: false, originalVolume: 0.16, rememberLanguage: true };
const FR: NumberSettings = { number: '+15550004444', destination: '+15550005555', callerLanguage: 'fr', agentLanguage: 'en', echoTargetLanguage: false, originalVolume: 0.16, rememberLanguage: true };

describe('diffNumbers', () => {
  it('lists numbers added, changed (with the fields) and removed', () => {
    const changedEs = { ...ES, destination: '+15550009999', greeting: 'Hola' };
    const d = diffNumbers([ES, DE], [changedEs, FR]);
    expect(d).toEqual({ added: ['+15550004444'], changed: [{ number: '+15550001111', fields: ['destination', 'greeting'] }], removed: ['+15550003333'], unchanged: 0 });
    expect(describeDiff(d)).toBe('+15550004444 added; +15550001111 changed (destination, greeting); +15550003333 removed');
  });

  it('reads an unset optional setting as its default', () => {
    const { rememberLanguage: _r, ...withoutRemember } = ES;
    expect(diffNumbers([ES], [withoutRemember as NumberSettings])).toEqual({ added: [], changed: [], removed: [], unchanged: 1 });
    expect(describeDiff(diffNumbers([ES], [ES]))).toBe('no changes');
  });
});

describe('applyNumbersFile', () => {
  const file = { path: 'numbers.yaml', entries: [ES, DE] };

  it('seeds an empty database', async () => {
    const store = new InMemoryNumberStore();
    const log = captureLogger();
    expect((await applyNumbersFile(store, file, 'seed', log.logger)).action).toBe('seeded');
    expect(await store.list()).toEqual([ES, DE]);
    expect(log.lines()).toContainEqual(expect.objectContaining({ event: 'config.numbers_seeded', added: [ES.number, DE.number] }));
  });

  it('keeps a database that has numbers, and says how the file differs', async () => {
    const edited = { ...ES, destination: '+15550007777' };
    const store = new InMemoryNumberStore([edited, FR]);
    const log = captureLogger();
    expect((await applyNumbersFile(store, file, 'seed', log.logger)).action).toBe('kept');
    expect(await store.list()).toEqual([edited, FR]);
    const warning = log.lines().find((l) => l.event === 'config.numbers_file_differs');
    expect(warning).toMatchObject({ level: 'warn', added: [DE.number], changed: [{ number: ES.number, fields: ['destination'] }], removed: [FR.number] });
    expect(warning?.msg).toContain('tolk numbers import numbers.yaml');
  });

  it('says nothing when a seeded database still matches the file', async () => {
    const log = captureLogger();
    await applyNumbersFile(new InMemoryNumberStore([ES, DE]), file, 'seed', log.logger);
    expect(log.lines().filter((l) => String(l.event).startsWith('config.numbers'))).toEqual([]);
  });

  it('replace: the database becomes exactly the file, every difference logged', async () => {
    const store = new InMemoryNumberStore([{ ...ES, originalVolume: 0 }, FR]);
    const log = captureLogger();
    expect((await applyNumbersFile(store, file, 'replace', log.logger)).action).toBe('replaced');
    expect(await store.list()).toEqual([ES, DE]);
    expect(log.lines()).toContainEqual(
      expect.objectContaining({ event: 'config.numbers_replaced', added: [DE.number], changed: [{ number: ES.number, fields: ['originalVolume'] }], removed: [FR.number] }),
    );
  });
});

describe('TOLK_NUMBERS at start-up', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-numbers-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const yaml = (entries: NumberSettings[]): string =>
    `numbers:\n${entries.map((e) => `  - number: "${e.number}"\n    destination: "${e.destination}"\n    callerLanguage: ${e.callerLanguage}\n    agentLanguage: ${e.agentLanguage}\n`).join('')}`;
  const config = (extra: Record<string, string>) => testAppConfig(dir, { TOLK_NUMBERS: path.join(dir, 'numbers.yaml'), ...extra });
  const storedNumbers = async (): Promise<NumberSettings[]> => {
    const store = await openStore({ sqlitePath: path.join(dir, 'tolk.db'), logger: silentLogger() });
    try {
      return await store.numbers.list();
    } finally {
      await store.close();
    }
  };

  it('survives a restart: a change made through the API is not undone by the file', async () => {
    fs.writeFileSync(path.join(dir, 'numbers.yaml'), yaml([ES]));
    const first = await startApp(config({}), silentLogger());
    await first.store.numbers.upsert({ ...ES, destination: '+15550008888' }); // as `tolk numbers set` does
    await first.stop();

    const log = captureLogger();
    const second = await startApp(config({}), log.logger);
    await second.stop();
    expect((await storedNumbers()).map((n) => n.destination)).toEqual(['+15550008888']);
    expect(log.lines()).toContainEqual(expect.objectContaining({ event: 'config.numbers_file_differs', changed: [{ number: ES.number, fields: ['destination'] }] }));
  });

  it('touches nothing when start-up fails because the port is taken', async () => {
    fs.writeFileSync(path.join(dir, 'numbers.yaml'), yaml([ES]));
    await (await startApp(config({}), silentLogger())).stop();
    fs.writeFileSync(path.join(dir, 'numbers.yaml'), yaml([DE]));
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    try {
      const port = String((blocker.address() as net.AddressInfo).port);
      await expect(startApp(config({ PORT: port, TOLK_NUMBERS_MODE: 'replace' }), silentLogger())).rejects.toThrow(StartupError);
      await expect(startApp(config({ PORT: port, TOLK_NUMBERS_MODE: 'replace' }), silentLogger())).rejects.toMatchObject({ variable: 'PORT' });
    } finally {
      blocker.close();
    }
    expect((await storedNumbers()).map((n) => n.number)).toEqual([ES.number]);
  });

  it('replace mode applies the file at every start', async () => {
    fs.writeFileSync(path.join(dir, 'numbers.yaml'), yaml([ES]));
    await (await startApp(config({}), silentLogger())).stop();
    fs.writeFileSync(path.join(dir, 'numbers.yaml'), yaml([DE, FR]));
    await (await startApp(config({ TOLK_NUMBERS_MODE: 'replace' }), silentLogger())).stop();
    expect((await storedNumbers()).map((n) => n.number)).toEqual([DE.number, FR.number]);
  });

  it('checks the file before opening the database', async () => {
    fs.writeFileSync(path.join(dir, 'numbers.yaml'), 'numbers:\n  - number: "+15550001111"\n    callerLanguage: spa\n');
    await expect(startApp(config({}), silentLogger())).rejects.toThrow(NumbersConfigError);
    expect(fs.existsSync(path.join(dir, 'tolk.db'))).toBe(false);
  });
});
