/**
 * The web console in real Chromium against a real tolk wired to both emulators: sign-in, the
 * numbers form with tolk's per-field errors, a call placed through the emulators seen in the
 * history with its transcript, the interpreter joined to a conference and made to leave, and requests without a session or with a forged CSRF token refused.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { readWav, writeWav } from '../../src/audio';
import type { Browser, Page } from 'playwright-core';
import { AGENT_NUMBER, CALLER_NUMBER, TOLK_NUMBER, fixture, startRig, waitUntil, type Rig } from './harness';
import { accessibilityProblems, buildConsole, collectPageErrors, launchChromium, screenshot, signIn } from './browser';

jest.setTimeout(120_000);

const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';
const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };

let consoleDir: string;
let browser: Browser;
let rig: Rig | undefined;
let page: Page;
let errors: string[];

beforeAll(async () => {
  [consoleDir, browser] = await Promise.all([buildConsole(), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
});
beforeEach(async () => {
  page = await (await browser.newContext({ viewport: { width: 1200, height: 800 } })).newPage();
  errors = collectPageErrors(page);
});
afterEach(async () => {
  await page?.context().close();
  await rig?.close();
  rig = undefined;
});

function baseOf(r: Rig): string {
  return `http://127.0.0.1:${r.tolk.address.port}`;
}

describe('the console in Chromium', () => {
  it('signs in with the admin token only; refuses requests without a session and forged CSRF requests', async () => {
    rig = await startRig({ overrides: { consoleDir } });
    const base = baseOf(rig);
    await page.goto(`${base}/console/`);
    await page.getByLabel('Admin token').fill('not-the-admin-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong admin token' }).waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'sign-in');

    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Live', exact: true }).waitFor();
    expect(await page.getByRole('link', { name: 'Live', exact: true }).getAttribute('aria-current')).toBe('page');

    // Without a session: the API and the session endpoint refuse.
    expect((await fetch(`${base}/api/numbers`)).status).toBe(401);
    expect((await fetch(`${base}/console/api/session`)).status).toBe(401);

    // Inside the signed-in page, a request that lacks the CSRF token is refused even with the cookie.
    const forged = await page.evaluate(async () => {
      const res = await fetch('/api/numbers/%2B15550007777', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ destination: '+15550002222', callerLanguage: 'es', agentLanguage: 'en' }),
      });
      return res.status;
    });
    expect(forged).toBe(403);

    // Another site's page posting to tolk with the browser's credentials gets nowhere either
    // (SameSite=Strict keeps the cookie home; localhost and 127.0.0.1 are different sites).
    const attacker = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><form id="f" method="POST" action="${base}/api/numbers/%2B15550008888" enctype="text/plain"><input name='{"destination":"+15550002222","callerLanguage":"es","agentLanguage":"en","x":"' value='"}'></form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    try {
      const other = await page.context().newPage();
      const response = other.waitForResponse((r) => r.url().includes('/api/numbers/'));
      await other.goto(`http://localhost:${(attacker.address() as AddressInfo).port}/`);
      expect((await response).status()).toBe(401);
      await other.close();
    } finally {
      attacker.closeAllConnections();
      attacker.close();
    }
    const numbers = (await (await fetch(`${base}/api/numbers`, { headers: bearer })).json()) as { numbers: { number: string }[] };
    expect(numbers.numbers.map((n) => n.number)).toEqual([TOLK_NUMBER]);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').waitFor();
    expect(await page.evaluate(async () => (await fetch('/api/numbers')).status)).toBe(401);
    expect(errors.filter((e) => !/status of 40[13]/.test(e))).toEqual([]);
  });

  it('creates and edits a number through the form; a bad language shows its error beside the field', async () => {
    // A server that can interpret conferences: the edit puts the number in conference mode.
    rig = await startRig({ overrides: { consoleDir }, interpreterApp: true });
    const base = baseOf(rig);
    await signIn(page, base, ADMIN_TOKEN);
    await page.getByRole('link', { name: 'Numbers' }).click();
    await page.getByRole('cell', { name: TOLK_NUMBER }).waitFor();
    await page.getByRole('link', { name: 'Add a number' }).click();

    await page.getByLabel('Number (E.164)').fill('+15550009999');
    await page.getByLabel('Destination').fill('+15550002222');
    await page.getByLabel('Caller speaks').fill('german');
    await page.getByLabel('Agent speaks').fill('en');
    await page.getByLabel('Greeting').fill('Einen Moment bitte.');
    await page.getByRole('button', { name: 'Add number' }).click();

    const callerError = page.locator('#f-callerLanguage-error');
    await callerError.waitFor();
    expect(await callerError.textContent()).toBe("unknown language 'german'; did you mean de?");
    const callerInput = page.getByLabel('Caller speaks');
    expect(await callerInput.getAttribute('aria-invalid')).toBe('true');
    expect(await callerInput.getAttribute('aria-describedby')).toContain('f-callerLanguage-error');
    expect(await callerInput.evaluate((el) => el.ownerDocument.activeElement === el)).toBe(true);
    expect(await page.locator('#f-agentLanguage-error').count()).toBe(0);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'number-error');
    expect((await fetch(`${base}/api/numbers/%2B15550009999`, { headers: bearer })).status).toBe(404);

    await callerInput.fill('de');
    await page.getByRole('button', { name: 'Add number' }).click();
    await page.getByRole('heading', { name: 'Number +15550009999' }).waitFor();
    await page.getByText('Saved +15550009999').waitFor();
    let stored = (await (await fetch(`${base}/api/numbers/%2B15550009999`, { headers: bearer })).json()) as Record<string, unknown>;
    expect(stored).toMatchObject({ number: '+15550009999', destination: '+15550002222', callerLanguage: 'de', agentLanguage: 'en', greeting: 'Einen Moment bitte.', rememberLanguage: true });

    // Edit: a keypad menu instead of a fixed language, a lower original voice.
    await page.getByLabel('Agent speaks').fill('fr');
    await page.getByRole('button', { name: 'Add a menu language' }).click();
    await page.getByLabel('Menu option 1', { exact: true }).fill('de');
    await page.getByRole('button', { name: 'Add a menu language' }).click();
    await page.getByLabel('Menu option 2', { exact: true }).fill('klingon');
    await page.getByLabel('Original voice volume').fill('0.05');
    await page.getByLabel('Mode').selectOption('conference');
    await page.getByLabel('Interpretation').selectOption('open');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('#f-languageMenu-1-error').waitFor();
    expect(await page.locator('#f-languageMenu-1-error').textContent()).toMatch(/^unknown language 'klingon'/);
    await page.getByLabel('Menu option 2', { exact: true }).fill('it');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved +15550009999').waitFor();
    stored = (await (await fetch(`${base}/api/numbers/%2B15550009999`, { headers: bearer })).json()) as Record<string, unknown>;
    expect(stored).toMatchObject({ agentLanguage: 'fr', languageMenu: ['de', 'it'], originalVolume: 0.05, mode: 'conference', interpretation: 'open' });
    await screenshot(page, 'number-edit');

    await page.getByRole('link', { name: 'All numbers' }).click();
    // A conference-mode number offers no keypad menu: its callers start in the number's language.
    const row = page.getByRole('row').filter({ hasText: '+15550009999' });
    await row.getByRole('cell', { name: 'conference (open)' }).waitFor();
    await row.getByRole('cell', { name: 'German', exact: true }).waitFor();
    expect(await row.textContent()).not.toContain('menu:');
    // The Actions cell is a table cell like the others, so its border lines up with theirs (a flex
    // cell drew its own, a pixel off). (A script string: this file is type-checked without the DOM's types.)
    const actionsDisplay = `getComputedStyle([...document.querySelectorAll('tr')].find((r) => r.textContent.includes('+15550009999')).querySelector('td.actions')).display`;
    expect(await page.evaluate(actionsDisplay)).toBe('table-cell');
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'numbers');
    expect(errors.filter((e) => !/status of 40[01]/.test(e))).toEqual([]);
  });

  it('shows a call placed through the emulators live, with both parties captioned as they speak, then in the history with its transcript', async () => {
    rig = await startRig({ overrides: { consoleDir } });
    const base = baseOf(rig);
    await signIn(page, base, ADMIN_TOKEN);
    await page.getByText('Live updates on.').waitFor();
    // Every direction whose partial text (the utterance while it is spoken) ever showed.
    // (A script string: this file is type-checked without the DOM's types.)
    await page.evaluate(`(() => {
      const seen = new Set();
      window.partialsSeen = seen;
      new MutationObserver(() => {
        for (const el of document.querySelectorAll('.utterance.partial')) if ((el.textContent || '').includes('speech')) seen.add(el.getAttribute('data-direction') || '');
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    })()`);

    rig.twilio.setCallee(AGENT_NUMBER, { scenario: { kind: 'answer', afterSec: 1 }, speech: fixture('agent-en.ulaw8k.wav'), speakAfterSec: 10 });
    // The caller stays on the line until the test hangs up: the captions must show while the call lasts.
    const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { speech: fixture('caller-es.ulaw8k.wav'), speakAfterSec: 1 } });
    await page.getByRole('link', { name: `Call to ${TOLK_NUMBER}` }).waitFor();
    await page.getByText(`${CALLER_NUMBER} → ${AGENT_NUMBER}`).waitFor();
    // Its talk time runs from when the agent answered, once they did.
    const liveCard = page.locator('.card').filter({ has: page.getByRole('link', { name: `Call to ${TOLK_NUMBER}` }) });
    await liveCard.getByText(/^bridged connected for \d+ s$/).waitFor({ timeout: 20_000 });
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'live-calls');
    // Keyboard only: from the page's top, Tab reaches the call's link and Enter opens it.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
    for (let i = 0; i < 20 && (await page.evaluate('document.activeElement.textContent')) !== `Call to ${TOLK_NUMBER}`; i++) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: `Call to ${TOLK_NUMBER}` }).waitFor();
    const caption = (direction: string) => page.locator(`.captions .utterance.final[data-direction="${direction}"]`).first();
    await caption('caller->agent').getByText(/\[en translation of [\d.]+ s\]/).waitFor({ timeout: 30_000 });
    await caption('agent->caller').getByText(/\[es translation of [\d.]+ s\]/).waitFor({ timeout: 30_000 });
    expect(rig.tolk.calls.activeCalls).toBe(1);
    expect(await caption('caller->agent').textContent()).toMatch(/caller.*\[es speech [\d.]+ s\].*\[en translation of/);
    expect(await caption('agent->caller').textContent()).toMatch(/agent.*\[en speech [\d.]+ s\].*\[es translation of/);
    expect(await page.evaluate('[...window.partialsSeen].sort()')).toEqual(['agent->caller', 'caller->agent']);
    // Per direction: the session connected, the language detected, the lag behind the speaker measured.
    const row = (direction: string) => page.getByRole('row', { name: new RegExp(`^${direction.replace('>', '\\>')}`) });
    for (const [direction, detected, into] of [
      ['caller->agent', 'es', 'en'],
      ['agent->caller', 'en', 'es'],
    ] as const) {
      const cells = row(direction).getByRole('cell');
      expect(await cells.nth(0).textContent()).toBe('connected');
      expect(await cells.nth(1).textContent()).toBe(detected);
      expect(await cells.nth(2).textContent()).toBe(into);
      expect(await cells.nth(3).textContent()).toMatch(/^\d+\.\d s$/);
    }
    expect(await page.getByText('caller: es, agent: en').count()).toBe(1);
    expect(await page.locator('.summary').textContent()).toMatch(/Connected[^(]+\(connected for (\d+ min )?\d+ s\)/);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'live');

    // The operator hangs up from the page: both parties' calls end.
    await page.getByRole('button', { name: 'Hang up…' }).click();
    await page.getByRole('button', { name: 'Hang up for everyone' }).click();
    await page.getByText('The call has ended (hungup_by_operator).').waitFor({ timeout: 30_000 });
    await rig.twilio.waitForStatus(callerSid, 'completed', 10_000);
    await waitUntil(() => rig!.tolk.calls.activeCalls === 0, 10_000, 'tolk to end the call');
    const [record] = (await rig.tolk.records.list({ limit: 1 })).items;
    const call = (await (await fetch(`${base}/api/calls/${record.id}`, { headers: bearer })).json()) as {
      transcript: { direction: string; source: { text: string }; translation: { text: string }; lagMs?: number }[];
    };
    expect(call.transcript.length).toBeGreaterThanOrEqual(2);
    const measured = call.transcript.filter((u) => typeof u.lagMs === 'number');
    expect(new Set(measured.map((u) => u.direction))).toEqual(new Set(['caller->agent', 'agent->caller']));
    // What the Live page showed is what the record keeps.
    expect(await page.locator('.captions .utterance.final').count()).toBe(call.transcript.length);

    await page.getByRole('link', { name: 'Open it in History' }).click();
    // The Live page has a heading and a transcript of the same names: only History's count.
    const detail = page.locator('section[aria-labelledby="call-title"]');
    await detail.getByRole('heading', { name: `Call to ${TOLK_NUMBER}` }).waitFor();
    const items = detail.locator('.transcript .utterance');
    await items.first().waitFor();
    expect(await items.count()).toBe(call.transcript.length);
    for (const [i, u] of call.transcript.entries()) {
      const text = await items.nth(i).textContent();
      expect(text).toContain(u.direction);
      expect(text).toContain(u.source.text);
      expect(text).toContain(u.translation.text);
    }
    // Lag per utterance: one bar (and one row of the chart's table) per measured utterance.
    const chart = page.getByRole('img', { name: 'Start of speech to the start of its translation heard, per utterance' });
    await chart.waitFor();
    expect(await chart.locator('rect').count()).toBe(measured.length);
    expect(await page.locator('.chart table tbody tr').count()).toBe(measured.length);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'call');

    await page.getByRole('link', { name: 'History' }).click();
    await page.getByRole('cell', { name: 'hungup_by_operator' }).waitFor();
    await page.getByLabel('Outcome').selectOption('busy');
    await page.getByRole('button', { name: 'Show calls' }).click();
    await page.getByText('No calls match.').waitFor();
    await page.getByLabel('Outcome').selectOption('hungup_by_operator');
    await page.getByLabel('Number').fill('+15550009999');
    await page.getByRole('button', { name: 'Show calls' }).click();
    await page.getByText('No calls match.').waitFor();
    await page.getByLabel('Number').fill(TOLK_NUMBER);
    await page.getByLabel('From').fill('2099-01-01T00:00');
    await page.getByRole('button', { name: 'Show calls' }).click();
    await page.getByText('No calls match.').waitFor();
    await page.getByLabel('From').fill('2020-01-01T00:00');
    await page.getByRole('button', { name: 'Show calls' }).click();
    await page.getByRole('cell', { name: 'hungup_by_operator' }).waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'history');
    expect(errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });

  it('shows a call tolk places whose attempt failed, with another due, as retrying', async () => {
    rig = await startRig({ overrides: { consoleDir } });
    const base = baseOf(rig);
    await signIn(page, base, ADMIN_TOKEN);
    await page.getByText('Live updates on.').waitFor();
    rig.twilio.setCallee(CALLER_NUMBER, { scenario: { kind: 'busy' } });
    const placed = await fetch(`${base}/api/calls`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ line: TOLK_NUMBER, to: CALLER_NUMBER, retries: 1, retryAfterSec: 3600 }),
    });
    expect(placed.status).toBe(202);
    const { id } = (await placed.json()) as { id: string };
    const card = page.locator('.card').filter({ has: page.getByRole('link', { name: `Call ${id}` }) });
    await card.locator('.badge').filter({ hasText: 'retrying' }).waitFor({ timeout: 20_000 });
    expect(await card.locator('.badge').allTextContents()).toEqual(['retrying']);
    // Not coloured as a live call: it waits (a dashed badge of its own).
    // (A script string: this file is type-checked without the DOM's types.)
    const badges = () => page.evaluate(`[...document.querySelectorAll('main .badge')].map((b) => [b.textContent, b.className, getComputedStyle(b).borderStyle])`);
    expect(await badges()).toEqual([['retrying', 'badge scheduled', 'dashed']]);
    // The call it shows waits for its next attempt, which an operator can still cancel.
    const record = (await (await fetch(`${base}/api/calls/${id}`, { headers: bearer })).json()) as { state: string; outbound: { attempts: number } };
    expect(record).toMatchObject({ state: 'scheduled', outbound: { attempts: 1 } });
    // The History page says the same of it, in its list and on the call's own page.
    await page.getByRole('link', { name: 'History' }).click();
    const row = page.getByRole('row').filter({ has: page.getByRole('link') }).filter({ hasText: CALLER_NUMBER });
    await row.locator('.badge').filter({ hasText: 'retrying' }).waitFor();
    expect(await badges()).toEqual([['retrying', 'badge scheduled', 'dashed']]);
    await row.getByRole('link').click();
    await page.locator('.summary .badge').filter({ hasText: 'retrying' }).waitFor();
    expect(await badges()).toEqual([['retrying', 'badge scheduled', 'dashed']]);
    // When its failed attempt started, and when the next one is due.
    expect(await page.locator('.summary dt').allTextContents()).toEqual(expect.arrayContaining(['Started', 'Due']));
    expect((await fetch(`${base}/api/calls/${id}`, { method: 'DELETE', headers: bearer })).status).toBe(200);
    expect(errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });

  it('joins the interpreter to a conference by name, shows it and makes it leave; a bad language shows its error beside the field', async () => {
    rig = await startRig({ overrides: { consoleDir }, interpreterApp: true });
    const r = rig;
    const base = baseOf(r);
    const room = 'console-room';
    const people = [0, 1].map((i) => r.twilio.joinConference({ name: room, from: `+1555000888${i}`, beep: 'false', label: `person-${i}` }));
    await waitUntil(() => r.twilio.conference(room)?.status === 'in-progress', 5000, 'the conference to start');
    await signIn(page, base, ADMIN_TOKEN);
    await page.getByRole('link', { name: 'Conferences' }).click();
    await page.getByLabel('Conference (friendly name or SID)').fill(room);

    await page.getByLabel('Languages (optional)').fill('es, klingon');
    await page.getByRole('button', { name: 'Join' }).click();
    const languagesError = page.locator('#c-languages-error');
    await languagesError.waitFor();
    expect(await languagesError.textContent()).toContain("unknown language 'klingon'");
    expect(await page.getByLabel('Languages (optional)').getAttribute('aria-invalid')).toBe('true');
    expect(await accessibilityProblems(page)).toEqual([]);
    expect((await fetch(`${base}/api/conferences/${room}/interpreter`, { headers: bearer })).status).toBe(404);

    await page.getByLabel('Languages (optional)').fill('es, en');
    await page.getByRole('button', { name: 'Join' }).click();
    await page.getByRole('heading', { name: `Interpreter in ${room}` }).waitFor();
    expect(await page.locator('#c-languages-error').count()).toBe(0);
    // The page shows what tolk is doing there: both parties, and a session per language once open.
    await waitUntil(
      async () => {
        await page.getByRole('button', { name: 'Show' }).click();
        const text = (await page.locator('.card').textContent()) ?? '';
        return people.every((sid) => text.includes(sid)) && text.includes('es: open') && text.includes('en: open') && text.includes(': connected') && !text.includes(': placing');
      },
      20_000,
      'the page to show both parties, two open sessions and the connected interpreter legs',
    );
    expect(await page.locator('.card dl dd').first().textContent()).toBe('live');
    for (const [i, sid] of people.entries()) await page.getByRole('listitem', { name: `Participant ${i + 1}: ${sid}` }).waitFor();
    const shown = (await (await fetch(`${base}/api/conferences/${room}/interpreter`, { headers: bearer })).json()) as { callId: string; legs: { callSid?: string }[] };
    expect(shown.legs.length).toBeGreaterThan(0);
    for (const leg of shown.legs) await page.locator('.card').getByText(leg.callSid ?? 'no call SID').waitFor();
    expect(await page.getByRole('link', { name: 'Follow it live' }).getAttribute('href')).toBe(`#/live/${shown.callId}`);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'conferences');

    await page.getByRole('button', { name: 'Leave' }).click();
    await page.getByText(`The interpreter left ${room}.`).waitFor();
    expect((await fetch(`${base}/api/conferences/${room}/interpreter`, { headers: bearer })).status).toBe(404);
    // The conference goes on without the interpreter.
    expect(r.twilio.conference(room)?.status).toBe('in-progress');
    expect(errors.filter((e) => !/status of 40[01]/.test(e))).toEqual([]);
  });
});

describe('"Try it" in Chromium with a fake microphone', () => {
  const GEMINI_KEY = 'gemini-key-that-stays-on-the-server-42';

  /** The Spanish recording with a second of silence after it (Chromium loops the file). */
  function micFile(): string {
    const speech = readWav(fs.readFileSync(fixture('caller-es.pcm16k.wav')));
    const samples = new Int16Array(speech.samples.length + 16_000);
    samples.set(speech.samples, 0);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-mic-')), 'mic.wav');
    fs.writeFileSync(file, writeWav({ sampleRate: 16_000, samples, encoding: 'pcm16' }));
    return file;
  }

  it('reaches the Gemini emulator with an ephemeral token and plays the translation back; the API key never reaches the browser', async () => {
    rig = await startRig({ overrides: { consoleDir }, env: { GEMINI_API_KEY: GEMINI_KEY } });
    const base = baseOf(rig);
    const mic = await launchChromium(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-audio-capture=${micFile()}`, '--autoplay-policy=no-user-gesture-required']);
    try {
      const context = await mic.newContext({ viewport: { width: 1200, height: 900 } });
      const p = await context.newPage();
      const pageErrors = collectPageErrors(p);
      const seen: string[] = [];
      const sockets: string[] = [];
      p.on('request', (r) => seen.push(`${r.url()} ${JSON.stringify(r.headers())} ${r.postData() ?? ''}`));
      p.on('response', (r) => {
        seen.push(JSON.stringify(r.headers()));
        r.text().then((t) => seen.push(t), () => undefined);
      });
      p.on('websocket', (ws) => {
        sockets.push(ws.url());
        ws.on('framesent', (f) => seen.push(String(f.payload)));
        ws.on('framereceived', (f) => seen.push(String(f.payload)));
      });

      await signIn(p, base, ADMIN_TOKEN);
      await p.getByRole('link', { name: 'Try it' }).click();
      await p.getByLabel('Translate into').selectOption('en');
      await p.getByRole('button', { name: 'Start' }).click();
      await p.getByText('Listening: speak now.').waitFor({ timeout: 30_000 });

      // The caption of the caller's Spanish and of its English translation, from the emulator.
      const caption = p.locator('.captions .utterance').first();
      await caption.getByText(/\[es speech [\d.]+ s\]/).waitFor({ timeout: 30_000 });
      await caption.getByText(/\[en translation of [\d.]+ s\]/).waitFor({ timeout: 30_000 });
      // The translation (the emulator echoes the speech, about 6 s of it) is played back.
      await waitUntil(async () => Number(/([\d.]+) s/.exec((await p.locator('#try-played').textContent()) ?? '')?.[1] ?? 0) >= 3, 30_000, 'translated speech to play');
      expect(await accessibilityProblems(p)).toEqual([]);
      await screenshot(p, 'try-it');
      // The whole recording reaches the emulator as 16 kHz audio before the user stops.
      const speechSamples = readWav(fs.readFileSync(fixture('caller-es.pcm16k.wav'))).samples.length;
      const received = (): number => Math.max(0, ...rig!.gemini.sessions.filter((s) => s.setup?.targetLanguageCode === 'en').map((s) => s.stats.samplesReceived));
      await waitUntil(() => received() >= speechSamples, 30_000, 'the whole recording to reach the emulator');
      await p.getByRole('button', { name: 'Stop' }).click();
      await p.getByText('Stopped.').waitFor();

      const stats = rig.gemini.stats();
      expect(stats.tokensIssued).toBe(1);
      expect(stats.tokensConsumed).toBe(1);
      expect(stats.constrainedConnections).toBe(1);
      const session = rig.gemini.sessions.find((s) => s.isSetUp && s.setup?.targetLanguageCode === 'en' && s.stats.samplesReceived > 0);
      expect(session).toBeDefined();
      expect(session!.stats.samplesReceived).toBeGreaterThanOrEqual(speechSamples);
      expect(session!.stats.outputSamples).toBeGreaterThan(3 * 24_000);

      const live = sockets.filter((u) => u.includes('BidiGenerateContentConstrained'));
      expect(live).toHaveLength(1);
      expect(live[0]).toMatch(new RegExp(`^${rig.gemini.url.replace('http', 'ws')}/ws/google\\.ai\\.generativelanguage\\.v1alpha\\.GenerativeService\\.BidiGenerateContentConstrained\\?access_token=auth_tokens%2F[0-9a-f]+$`));
      expect(seen.length).toBeGreaterThan(20);
      expect(seen.filter((t) => t.includes(GEMINI_KEY))).toEqual([]);
      expect(pageErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    } finally {
      await mic.close();
    }
  });
});
