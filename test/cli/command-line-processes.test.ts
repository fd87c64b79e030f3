/**
 * The command-line tools as processes a person runs: output piped into a program that stops
 * reading ends them quietly, and the Twilio emulator's commands read `.env` as tolk does.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { startTwilioEmulator, type TwilioEmulator } from '../../src/emulators/twilio/emulator';
import { outputOf, type ProcessOutput } from '../helpers/process-output';

// Each test runs a real executable (tsx compiles it on every start).
jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

function run(command: string, cwd: string): Promise<ProcessOutput> {
  return outputOf(spawn('bash', ['-c', `set -o pipefail; ${command}`], { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] }));
}

let dir: string;
let emu: TwilioEmulator | undefined;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-cli-proc-'));
});
afterEach(async () => {
  await emu?.close();
  emu = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('command-line tools as processes', () => {
  it('tolk whose output nobody reads any more (| true) ends quietly, not with a stack trace', async () => {
    // `true` exits before tolk has started, so every line tolk writes meets a closed pipe.
    const r = await run(`"${TSX}" "${path.join(ROOT, 'src/cli/main.ts')}" --help | true`, dir);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it("the Twilio emulator's commands find it and its account through .env", async () => {
    emu = await startTwilioEmulator({ accountSid: 'AC' + 'f'.repeat(32), authToken: 'a-token-only-dotenv-knows' });
    // A call only this emulator has: whether `calls` lists it says which emulator the command reached.
    const sid = emu.joinConference({ name: 'only-here', from: '+15550009999' });
    const command = `"${TSX}" "${path.join(ROOT, 'src/emulators/twilio/main.ts')}" calls`;
    const without = await run(command, dir);
    // Without .env the command goes to the default URL and account, which are not this emulator's
    // (whether another emulator answers there, as a developer's often does, or nothing).
    expect(without.stdout).not.toContain(sid);
    fs.writeFileSync(path.join(dir, '.env'), `TWILIO_API_URL=${emu.url}\nTWILIO_ACCOUNT_SID=AC${'f'.repeat(32)}\nTWILIO_AUTH_TOKEN=a-token-only-dotenv-knows\n`);
    const withEnv = await run(command, dir);
    expect(withEnv).toMatchObject({ code: 0, stderr: '' });
    expect(withEnv.stdout).toContain(sid);
  });

  it.each([
    ['twilio', 'twilio emulator'],
    ['gemini', 'gemini emulator'],
  ])('the %s emulator started on a port already taken says so in one line and exits 1, with no stack trace', async (which, name) => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as net.AddressInfo;
    try {
      const r = await run(`"${TSX}" "${path.join(ROOT, `src/emulators/${which}/main.ts`)}" --port ${port}`, dir);
      expect(r).toEqual({
        code: 1,
        stdout: '',
        stderr: `${name}: port ${port} is already in use on 127.0.0.1 (another emulator, or another program): stop it, or choose another port with --port\n`,
      });
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
