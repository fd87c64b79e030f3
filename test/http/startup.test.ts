import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');

function run(env: Record<string, string>, untilStdout?: RegExp): Promise<{ code: number | null; stdout: string; stderr: string; kill: () => void }> {
  return new Promise((resolve) => {
    const child = spawn(tsx, ['src/main.ts'], { cwd: root, env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (untilStdout?.test(stdout)) resolve({ code: null, stdout, stderr, kill: () => child.kill('SIGTERM') });
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr, kill: () => undefined }));
  });
}

describe('npm start', () => {
  it('refuses to start without configuration and names the missing variables', async () => {
    const r = await run({});
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/PUBLIC_URL is required/);
    expect(r.stderr).toMatch(/GEMINI_API_KEY is required/);
  });

  it('starts with valid configuration, serves /healthz, and stops on SIGTERM', async () => {
    const r = await run(
      {
        PORT: '0',
        HOST: '127.0.0.1',
        PUBLIC_URL: 'https://tolk.example.com',
        TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32),
        TWILIO_AUTH_TOKEN: 'secret-auth-token-value',
        GEMINI_API_KEY: 'secret-gemini-key',
        TOLK_DB_PATH: path.join(os.tmpdir(), `tolk-startup-${process.pid}`, 'tolk.db'),
      },
      /"event":"server.listening"[^\n]*\n/,
    );
    const listening = r.stdout.split('\n').find((l) => l.includes('server.listening'));
    const { port } = JSON.parse(listening ?? '{}') as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    r.kill();
    expect(r.stdout).not.toContain('secret-auth-token-value');
    expect(r.stdout).not.toContain('secret-gemini-key');
  }, 30000);
});
