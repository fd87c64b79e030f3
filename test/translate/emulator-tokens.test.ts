/**
 * The Gemini emulator's ephemeral tokens as the service documents them, through raw WebSockets as
 * a browser opens them (an Origin header, text frames out, binary frames back): a use is spent by
 * a new session only, resuming spends none, no new session after newSessionExpireTime, no messages
 * after expireTime, and the token's locked configuration wins over the client's.
 */
import WebSocket from 'ws';
import { startGeminiEmulator, type GeminiEmulator } from '../../src/emulators/gemini/server';

const CONSTRAINED = '/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained';
const MODEL = 'models/gemini-3.5-live-translate-preview';

let emu: GeminiEmulator;
afterEach(async () => {
  await emu?.close();
});

async function mint(body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${emu.url}/v1alpha/auth_tokens`, { method: 'POST', headers: { 'x-goog-api-key': 'server-key', 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { name: string }).name;
}

interface Opened {
  ws: WebSocket;
  messages: Record<string, unknown>[];
  closed: Promise<{ code: number; reason: string }>;
}

function open(token: string, setup: Record<string, unknown>): Opened {
  const ws = new WebSocket(`${emu.url.replace('http', 'ws')}${CONSTRAINED}?access_token=${token}`, { origin: 'http://127.0.0.1:8080' });
  const messages: Record<string, unknown>[] = [];
  ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>));
  ws.on('open', () => ws.send(JSON.stringify({ setup })));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return { ws, messages, closed };
}

async function setUp(o: Opened): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!o.messages.some((m) => 'setupComplete' in m)) {
    if (Date.now() > deadline) throw new Error(`no setupComplete: ${JSON.stringify(o.messages)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const lockedSetup = { model: MODEL, generationConfig: { responseModalities: ['AUDIO'], translationConfig: { targetLanguageCode: 'pl' } }, inputAudioTranscription: {}, outputAudioTranscription: {} };

describe('the Gemini emulator\'s ephemeral tokens', () => {
  it('spends a use on a new session only: a second new session is refused, resuming the first is not', async () => {
    emu = await startGeminiEmulator({ resumptionIntervalMs: 50 });
    const token = await mint({ uses: 1, bidiGenerateContentSetup: lockedSetup });
    const first = open(token, { model: MODEL });
    await setUp(first);
    const deadline = Date.now() + 3000;
    let handle: string | undefined;
    while (!handle && Date.now() < deadline) {
      handle = first.messages.map((m) => (m.sessionResumptionUpdate as { newHandle?: string } | undefined)?.newHandle).find(Boolean);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(handle).toBeDefined();
    first.ws.close();
    await first.closed;

    const second = open(token, { model: MODEL });
    expect(await second.closed).toEqual({ code: 1007, reason: 'Ephemeral token is invalid, expired or has no uses left.' });

    const resumed = open(token, { model: MODEL, sessionResumption: { handle } });
    await setUp(resumed);
    expect(emu.stats().tokensConsumed).toBe(1);
    resumed.ws.close();
    await resumed.closed;
  });

  it('locks the token\'s translation configuration, whatever the client asks for', async () => {
    emu = await startGeminiEmulator();
    const token = await mint({ uses: 1, bidiGenerateContentSetup: lockedSetup });
    const s = open(token, { model: MODEL, generationConfig: { responseModalities: ['AUDIO'], translationConfig: { targetLanguageCode: 'en' } } });
    await setUp(s);
    expect(emu.sessions[0].setup?.targetLanguageCode).toBe('pl');
    s.ws.close();
    await s.closed;
  });

  it('opens no new session after newSessionExpireTime, and closes a session at expireTime', async () => {
    emu = await startGeminiEmulator();
    const now = Date.now();
    const late = await mint({ uses: 0, newSessionExpireTime: new Date(now + 200).toISOString(), bidiGenerateContentSetup: lockedSetup });
    await new Promise((r) => setTimeout(r, 300));
    expect((await open(late, { model: MODEL }).closed).code).toBe(1007);

    const short = await mint({ uses: 1, expireTime: new Date(Date.now() + 600).toISOString(), bidiGenerateContentSetup: lockedSetup });
    const s = open(short, { model: MODEL });
    await setUp(s);
    const closed = await s.closed;
    expect(closed).toEqual({ code: 1008, reason: 'Ephemeral token expired.' });
    expect(Date.now()).toBeGreaterThanOrEqual(now + 600);
  });
});
