/**
 * The first call a tolk process dials does not stall its event loop: the twilio SDK loads the
 * modules of its REST API (about a hundred) the first time one of its resources is used, which
 * blocks every call's audio in the process for tens of milliseconds or more (a gap in the ringback
 * of the caller being connected). The client loads them as it is made, when tolk starts.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** In a fresh process: the twilio SDK files a first dial loads after the REST client was made. */
function loadedByFirstDial(): Promise<string[]> {
  const script = `
    const { TwilioRestClient } = require(${JSON.stringify(path.join(ROOT, 'src/twilio/rest-client.ts'))});
    const { createLogger } = require(${JSON.stringify(path.join(ROOT, 'src/log/logger.ts'))});
    const rest = new TwilioRestClient({ accountSid: 'AC' + 'a'.repeat(32), authToken: 'token', apiUrl: 'http://127.0.0.1:9', logger: createLogger({ level: 'silent' }), sleep: () => Promise.resolve() });
    const before = new Set(Object.keys(require.cache));
    rest
      .placeCall({ to: '+15550002222', from: '+15550001111', url: 'https://tolk.example.com/twilio/answer', statusCallback: 'https://tolk.example.com/twilio/status' })
      .catch(() => undefined)
      .then(() => process.stdout.write(JSON.stringify(Object.keys(require.cache).filter((f) => !before.has(f) && f.includes('node_modules/twilio/')))));
  `;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as string[]);
    });
  });
}

describe('the first call a process dials', () => {
  it('loads none of the twilio SDK on its way (that was done when the REST client was made)', async () => {
    expect(await loadedByFirstDial()).toEqual([]);
  }, 90_000);
});
