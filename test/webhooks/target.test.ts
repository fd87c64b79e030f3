/** Where a webhook may go: https, public addresses only, unless the operator allows more. */
import { validateNumberSettings } from '../../src/config/numbers-schema';
import { WebhookSender } from '../../src/webhooks/sender';
import { isNonPublicAddress, refusedBeforeLookup } from '../../src/webhooks/target';

const strict = new WebhookSender({ secret: 'whsec-test-0123456789abcdef', allowHttp: false, allowPrivate: false, timeoutMs: 2000 });
const httpOk = new WebhookSender({ secret: 'whsec-test-0123456789abcdef', allowHttp: true, allowPrivate: false, timeoutMs: 2000 });
const send = (s: WebhookSender, url: string) => s.send({ url, body: '{}', idempotencyKey: 'call-1' });

describe('webhook targets', () => {
  it.each([
    ['http://crm.example.com/hook', {}, /plain http \(set TOLK_ALLOW_HTTP_WEBHOOKS=true/],
    ['https://127.0.0.1/hook', {}, /loopback, private or reserved address \(set TOLK_ALLOW_PRIVATE_WEBHOOKS=true/],
    ['https://[::1]:8443/hook', {}, /loopback, private or reserved/],
    ['https://LocalHost/hook', {}, /it is this machine \(set TOLK_ALLOW_PRIVATE_WEBHOOKS=true/],
    ['https://api.localhost/hook', {}, /it is this machine/],
    ['https://crm.example.com/hook', {}, undefined],
    ['http://crm.example.com/hook', { allowHttp: true }, undefined],
    ['http://localhost:9000/hook', { allowHttp: true, allowPrivate: true }, undefined],
    ['https://10.0.0.5/hook', { allowPrivate: true }, undefined],
  ])('%s (%j) is refused before any lookup: %s', (url, allow, refused) => {
    const why = refusedBeforeLookup(new URL(url), { allowHttp: false, allowPrivate: false, ...allow });
    if (refused) expect(why).toMatch(refused);
    else expect(why).toBeUndefined();
  });

  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.16.0.9', true],
    ['192.168.1.1', true],
    ['169.254.169.254', true], // cloud metadata
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['224.0.0.1', true],
    ['::1', true],
    ['fd00::1', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:10.0.0.1', true],
    ['8.8.8.8', false],
    ['2606:4700:4700::1111', false],
  ])('%s is %s a non-public address', (address, refused) => {
    expect(isNonPublicAddress(address)).toBe(refused);
  });

  it('refuses plain http unless TOLK_ALLOW_HTTP_WEBHOOKS', async () => {
    await expect(send(strict, 'http://crm.example.com/hook')).resolves.toEqual({ ok: false, retryable: false, error: expect.stringMatching(/plain http \(set TOLK_ALLOW_HTTP_WEBHOOKS=true/) });
  });

  it('refuses private and loopback addresses, written out or behind a name, before connecting', async () => {
    for (const url of ['https://127.0.0.1/hook', 'https://[::1]/hook', 'https://169.254.169.254/latest/meta-data', 'http://10.0.0.5:8080/']) {
      const out = await send(httpOk, url);
      expect(out).toMatchObject({ ok: false, retryable: false });
      expect((out as { error: string }).error).toMatch(/loopback, private or reserved address/);
    }
    const named = await send(httpOk, 'http://localhost:9/hook');
    expect(named).toMatchObject({ ok: false, retryable: false, error: expect.stringMatching(/refused localhost: it resolves to (127\.0\.0\.1|::1)/) });
  });

  it("checks a number's webhookUrl as it is saved: a URL, http(s), no credentials", () => {
    const base = { number: '+15550001111', destination: '+15550002222', callerLanguage: 'es', agentLanguage: 'en' };
    expect(validateNumberSettings({ ...base, webhookUrl: 'https://crm.example.com/tolk' }).ok).toBe(true);
    const problems = (v: unknown) => {
      const r = validateNumberSettings({ ...base, webhookUrl: v });
      return r.ok ? [] : r.problems.map((p) => `${p.path.join('.')}: ${p.message}`);
    };
    expect(problems('crm.example.com')).toEqual(["webhookUrl: 'crm.example.com' is not a URL (e.g. https://crm.example.com/tolk)"]);
    expect(problems('ftp://crm.example.com/x')).toEqual(["webhookUrl: 'ftp://crm.example.com/x' must be an https URL"]);
    expect(problems('https://user:pw@crm.example.com/')).toEqual(['webhookUrl: must not carry a user name or password (tolk signs each delivery; see TOLK_WEBHOOK_SECRET)']);
    expect(problems(`https://crm.example.com/${'x'.repeat(3000)}`)).toEqual(['webhookUrl: must be a URL of at most 2048 characters']);
    expect(problems(42)).toEqual(['webhookUrl: must be a URL, not a number']);
  });
});
