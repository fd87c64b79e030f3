/**
 * The deployment's nginx (scripts/deploy/nginx-config.ts, run by Debian's nginx) in front of two
 * instances: the voice webhooks that start calls alternate between them whatever other requests
 * (status callbacks, the admin API) come between, so that new calls spread over both.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
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
