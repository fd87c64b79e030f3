// Webhooks as Twilio sends them: form-encoded POST (or GET with the params in the query string),
// signed with X-Twilio-Signature = base64(HMAC-SHA1(authToken, url + sorted name/value pairs)),
// computed by the twilio package's own helper. In-flight requests are aborted on close().
import twilio from 'twilio';

export type WebhookKind = 'voice' | 'status' | 'action' | 'redirect' | 'stream-status' | 'conference-status' | 'announce';

export interface WebhookRequest {
  kind: WebhookKind;
  /** The call it is about, for the event log; none for a conference's own events. */
  callSid?: string;
  url: string;
  method: string;
  params: Record<string, string>;
}

export interface WebhookResult {
  status: number;
  body: string;
  contentType: string;
}

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal }) => Promise<{
  status: number;
  text(): Promise<string>;
  headers: { get(name: string): string | null };
}>;

export function signatureFor(authToken: string, url: string, params: Record<string, string>): string {
  return twilio.getExpectedTwilioSignature(authToken, url, params);
}

export class WebhookSender {
  private readonly inFlight = new Set<AbortController>();
  constructor(
    private readonly authToken: () => string,
    private readonly fetchImpl: FetchLike,
    private readonly timeoutMs = 15000,
  ) {}

  async send(req: WebhookRequest): Promise<WebhookResult> {
    const method = req.method.toUpperCase() === 'GET' ? 'GET' : 'POST';
    const body = new URLSearchParams(req.params).toString();
    let url = req.url;
    if (method === 'GET') url += (url.includes('?') ? '&' : '?') + body;
    const signature = method === 'GET' ? signatureFor(this.authToken(), url, {}) : signatureFor(this.authToken(), url, req.params);
    const headers: Record<string, string> = {
      'X-Twilio-Signature': signature,
      'User-Agent': 'TwilioProxy/1.1',
      Accept: '*/*',
    };
    if (method === 'POST') headers['Content-Type'] = 'application/x-www-form-urlencoded; charset=utf-8';
    const ctrl = new AbortController();
    this.inFlight.add(ctrl);
    const timer = setTimeout(() => ctrl.abort(), this.timeoutMs);
    try {
      const res = await this.fetchImpl(url, { method, headers, body: method === 'POST' ? body : undefined, signal: ctrl.signal });
      return { status: res.status, body: await res.text(), contentType: res.headers.get('content-type') ?? '' };
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(ctrl);
    }
  }

  close(): void {
    for (const c of this.inFlight) c.abort();
    this.inFlight.clear();
  }
}
