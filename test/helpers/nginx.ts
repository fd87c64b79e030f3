/**
 * Debian's nginx (installed by scripts/test-services.sh) in front of tolk instances for a test: its
 * configuration is the deployment's own (scripts/deploy/nginx-config.ts) on an ephemeral port, its
 * files in a folder of its own, and it is stopped after each test, pass or fail: SIGTERM, then, should
 * it not have exited within STOP_MS, SIGKILL to it and its workers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { nginxConfig, type NginxInstance } from '../../scripts/deploy/nginx-config';
import { freePort } from '../../src/emulators/free-port';

export const NGINX = '/usr/sbin/nginx';
/** How long nginx is given to exit after each signal `stop` sends. */
const STOP_MS = 5000;

export interface Nginx {
  url: string;
  /** Its master process. */
  pid: number;
  stop(): Promise<void>;
}

const running = new Set<Nginx>();
afterEach(async () => {
  await Promise.all([...running].map((n) => n.stop()));
});

export async function startNginx(instances: NginxInstance[], opts: { streamsByPath?: boolean } = {}): Promise<Nginx> {
  if (!fs.existsSync(NGINX)) throw new Error(`${NGINX} is missing: run scripts/test-services.sh (it installs Debian's nginx)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-nginx-'));
  // Its workers may run as another user (nginx started as root): they must reach the folder.
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  fs.writeFileSync(path.join(dir, 'nginx.conf'), nginxConfig({ listen: `127.0.0.1:${port}`, instances, workers: 1, tempDir: dir, ...opts }));
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log'), '-g', `daemon off; pid ${path.join(dir, 'nginx.pid')};`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    // A process group of its own, so that its workers can be killed with it.
    detached: true,
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const exitedWithin = async (ms: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const passed = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    try {
      return await Promise.race([exited.then(() => true), passed]);
    } finally {
      clearTimeout(timer);
    }
  };
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      const log = fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : '';
      throw new Error(`nginx did not start: ${stderr}${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const nginx: Nginx = {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    async stop() {
      running.delete(nginx);
      try {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          if (!(await exitedWithin(STOP_MS))) {
            process.kill(-child.pid!, 'SIGKILL');
            if (!(await exitedWithin(STOP_MS))) throw new Error(`nginx (pid ${child.pid}) did not exit after SIGTERM, nor after SIGKILL`);
          }
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  running.add(nginx);
  return nginx;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
