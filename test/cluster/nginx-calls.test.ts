/**
 * The deployment's nginx (scripts/deploy/nginx-config.ts, run by Debian's nginx) in front of two
 * instances: the voice webhooks that start calls alternate between them whatever other requests
 * (status callbacks, the admin API) come between, so that new calls spread over both. And the
 * nginx the tests start (test/helpers/nginx.ts) is stopped even when it hangs.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { startNginx } from '../helpers/nginx';

jest.setTimeout(30_000);

/** A stand-in instance: answers every request with its name, and notes the voice webhooks it got. */
async function instance(id: string): Promise<{ id: string; address: string; voice: number; close: () => Promise<void> }> {
  const me = { id, address: '', voice: 0, close: (): Promise<void> => Promise.resolve() };
  const server = http.createServer((req, res) => {
    if (req.url === '/twilio/voice') me.voice++;
    req.resume();
    req.on('end', () => res.end(id));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  me.address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  me.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return me;
}

describe("the deployment's nginx", () => {
  it('hands new calls to the instances in turn, with any number of other requests between them', async () => {
    const instances = [await instance('tolk-a'), await instance('tolk-b')];
    const nginx = await startNginx(instances.map(({ id, address }) => ({ id, address })));
    try {
      const served: string[] = [];
      // Each call brings a voice webhook, then an odd number of other requests (status callbacks):
      // in one rotation with them, every voice webhook would reach the same instance.
      for (let call = 0; call < 6; call++) {
        const voice = await fetch(`${nginx.url}/twilio/voice`, { method: 'POST', body: 'CallSid=CA1' });
        served.push(await voice.text());
        for (let i = 0; i < 1 + 2 * (call % 2); i++) await (await fetch(`${nginx.url}/twilio/status`, { method: 'POST', body: 'x=1' })).text();
      }
      expect(served).toEqual(['tolk-a', 'tolk-b', 'tolk-a', 'tolk-b', 'tolk-a', 'tolk-b']);
      expect(instances.map((i) => i.voice)).toEqual([3, 3]);
    } finally {
      await nginx.stop();
      await Promise.all(instances.map((i) => i.close()));
    }
  });
});

describe("the tests' nginx", () => {
  it('is stopped, its workers too, when it does not answer SIGTERM, so that no test teardown waits for it without end', async () => {
    const nginx = await startNginx([{ id: 'tolk-a', address: '127.0.0.1:9' }]);
    // Stopped (as a process hung would be): it handles no signal but SIGKILL.
    process.kill(nginx.pid, 'SIGSTOP');
    let timer: NodeJS.Timeout | undefined;
    try {
      const stopped = await Promise.race([nginx.stop().then(() => 'stopped'), new Promise<string>((r) => (timer = setTimeout(() => r('still waiting'), 20_000)))]);
      expect(stopped).toBe('stopped');
      expect(await accepts(nginx.url)).toBe(false);
    } finally {
      clearTimeout(timer);
      try {
        process.kill(nginx.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  });
});

/** Whether something accepts connections at `url`. */
function accepts(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(port), hostname);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
