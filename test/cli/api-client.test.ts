import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdminClient } from '../../src/cli/api-client';

/** A server that records each request's method, path and Content-Type, and answers `{}`. */
async function recorder(): Promise<{ url: string; seen: string[]; close: () => Promise<void> }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${req.headers['content-type'] ?? '(none)'}`);
      res.setHeader('Content-Type', 'application/json');
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('AdminClient', () => {
  it('sends every body as JSON with Content-Type: application/json, which the admin API requires', async () => {
    const server = await recorder();
    try {
      const client = new AdminClient({ url: server.url, token: 'x'.repeat(16) });
      await client.putNumber('+15550001111', { destination: '+15550002222' });
      await client.placeCall({ line: '+15550001111', to: '+34600000000' });
      await client.eraseCalls({ endedBefore: '2025-01-31' });
      await client.joinConference('WT1', {});
      await client.hangUpCall('call-1');
      expect(server.seen).toEqual([
        'PUT /api/numbers/%2B15550001111 application/json',
        'POST /api/calls application/json',
        'POST /api/calls/erase application/json',
        'POST /api/conferences/WT1/interpreter application/json',
        // No body, no Content-Type.
        'POST /api/calls/call-1/hangup (none)',
      ]);
    } finally {
      await server.close();
    }
  });
});
