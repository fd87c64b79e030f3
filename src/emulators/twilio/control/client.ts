// HTTP client of the control API: JSON in and out (WAV bytes for recordings), HTTP Basic with the
// account's credentials, a deadline on every request, and errors that say what went wrong.

export class ControlRequestError extends Error {
  constructor(
    message: string,
    /** HTTP status, or undefined when the emulator could not be reached. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface ControlClientOptions {
  url: string;
  accountSid: string;
  authToken: string;
  timeoutMs?: number;
}

export class ControlClient {
  private readonly auth: string;

  constructor(private readonly opts: ControlClientOptions) {
    this.auth = 'Basic ' + Buffer.from(`${opts.accountSid}:${opts.authToken}`).toString('base64');
  }

  async json<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
    const res = await this.request(method, path, body);
    return (await res.json()) as T;
  }

  async bytes(path: string): Promise<Buffer> {
    const res = await this.request('GET', path);
    return Buffer.from(await res.arrayBuffer());
  }

  private async request(method: string, path: string, body?: unknown): Promise<Response> {
    const url = this.opts.url.replace(/\/+$/, '') + '/emulator' + path;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { Authorization: this.auth, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new ControlRequestError(`cannot reach the Twilio emulator at ${this.opts.url} (${(err as Error).message}); is it running (npm run emulator:twilio)?`);
    }
    if (res.ok) return res;
    const text = await res.text();
    let message = text;
    try {
      const j = JSON.parse(text) as { error?: string; message?: string };
      message = j.error ?? j.message ?? text;
    } catch {
      // not JSON: keep the text
    }
    if (res.status === 401) message = `the emulator refused the credentials (${message}); pass its --account-sid/--auth-token or set TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN`;
    throw new ControlRequestError(message, res.status);
  }
}
