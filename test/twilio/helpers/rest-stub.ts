/** A tiny local HTTP server that answers like Twilio's REST API (JSON bodies, Twilio's error format). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  form: URLSearchParams;
  query: URLSearchParams;
}

export type StubReply = { status: number; body: unknown; headers?: Record<string, string> };

export interface RestStub {
  url: string;
  requests: StubRequest[];
  /** Replies used in order; when empty, `fallback` answers. */
  replies: StubReply[];
  fallback: (req: StubRequest) => StubReply;
  close(): Promise<void>;
}

export function twilioError(status: number, code: number, message: string): StubReply {
  return { status, body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status } };
}

export function callResource(sid: string, status: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sid,
    account_sid: 'AC' + '1'.repeat(32),
    status,
    to: '+15550002222',
    from: '+15550001111',
    direction: 'outbound-api',
    parent_call_sid: null,
    ...extra,
  };
}

export async function startRestStub(): Promise<RestStub> {
  const stub: RestStub = {
    url: '',
    requests: [],
    replies: [],
    fallback: () => twilioError(404, 20404, 'The requested resource was not found'),
    close: () => Promise.resolve(),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stub');
      const r: StubRequest = {
        method: req.method ?? '',
        path: url.pathname,
        headers: req.headers,
        form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
        query: url.searchParams,
      };
      stub.requests.push(r);
      const reply = stub.replies.shift() ?? stub.fallback(r);
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stub.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return stub;
}

/** What Twilio answers when number `sid` (+15551234567) is looked up and then pointed at https://tolk.example.com. */
export function numberConfiguredReplies(sid: string): StubReply[] {
  return [
    { status: 200, body: { incoming_phone_numbers: [{ sid, phone_number: '+15551234567' }], next_page_uri: null } },
    {
      status: 200,
      body: {
        sid,
        phone_number: '+15551234567',
        voice_url: 'https://tolk.example.com/twilio/voice',
        voice_method: 'POST',
        status_callback: 'https://tolk.example.com/twilio/status',
        status_callback_method: 'POST',
      },
    },
  ];
}
