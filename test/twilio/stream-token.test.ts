import { InMemoryReplayStore, StreamTokens, resolveMediaStreamSecret } from '../../src/twilio/stream-token';

const SECRET = 'x'.repeat(40);
const CALL = 'CA' + 'a'.repeat(32);
const OTHER = 'CA' + 'b'.repeat(32);

function setup(start = 1_000_000) {
  let now = start;
  const store = new InMemoryReplayStore(() => now);
  const tokens = new StreamTokens({ secret: SECRET, replayStore: store, now: () => now, defaultTtlMs: 30_000 });
  return { tokens, store, advance: (ms: number) => (now += ms) };
}

describe('StreamTokens', () => {
  it('accepts a fresh token once, for its call, with its role', async () => {
    const { tokens } = setup();
    const t = tokens.issue({ callSid: CALL, role: 'caller' });
    await expect(tokens.verify(t, CALL)).resolves.toMatchObject({ ok: true, role: 'caller', callSid: CALL });
    await expect(tokens.verify(t, CALL)).resolves.toEqual({ ok: false, reason: 'replayed' });
  });

  it('refuses a token for another call SID without burning it', async () => {
    const { tokens } = setup();
    const t = tokens.issue({ callSid: CALL, role: 'agent' });
    await expect(tokens.verify(t, OTHER)).resolves.toEqual({ ok: false, reason: 'wrong_call' });
    await expect(tokens.verify(t, CALL)).resolves.toMatchObject({ ok: true, role: 'agent' });
  });

  it('refuses an expired token', async () => {
    const { tokens, advance } = setup();
    const t = tokens.issue({ callSid: CALL, role: 'caller' });
    advance(31_000);
    await expect(tokens.verify(t, CALL)).resolves.toEqual({ ok: false, reason: 'expired' });
  });

  it('honours a per-token lifetime', async () => {
    const { tokens, advance } = setup();
    const t = tokens.issue({ callSid: CALL, role: 'agent', ttlMs: 120_000 });
    advance(90_000);
    await expect(tokens.verify(t, CALL)).resolves.toMatchObject({ ok: true });
  });

  it('refuses tampered, foreign and malformed tokens', async () => {
    const { tokens } = setup();
    const t = tokens.issue({ callSid: CALL, role: 'caller' });
    const asAgent = t.replace('.caller.', '.agent.');
    await expect(tokens.verify(asAgent, CALL)).resolves.toEqual({ ok: false, reason: 'bad_signature' });
    const foreign = new StreamTokens({ secret: 'y'.repeat(40), replayStore: new InMemoryReplayStore() });
    await expect(tokens.verify(foreign.issue({ callSid: CALL, role: 'caller' }), CALL)).resolves.toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    for (const bad of ['', 'abc', 'v1.a.b.c.d.e', t + '.x']) {
      await expect(tokens.verify(bad, CALL)).resolves.toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('rejects a short secret and bad inputs when issuing', () => {
    expect(() => new StreamTokens({ secret: 'short', replayStore: new InMemoryReplayStore() })).toThrow(/32/);
    const { tokens } = setup();
    expect(() => tokens.issue({ callSid: 'nope', role: 'caller' })).toThrow(/call SID/);
    expect(() => tokens.issue({ callSid: CALL, role: 'Bad.Role' })).toThrow(/role/);
  });
});

describe('InMemoryReplayStore', () => {
  it('forgets claims after they expire', async () => {
    let now = 0;
    const store = new InMemoryReplayStore(() => now, 1000);
    await expect(store.claim('a', 500)).resolves.toBe(true);
    await expect(store.claim('a', 500)).resolves.toBe(false);
    now = 2000;
    await store.claim('b', 3000); // triggers a sweep
    expect(store.size).toBe(1);
  });
});

describe('resolveMediaStreamSecret', () => {
  it('uses the configured secret or generates a long random one', () => {
    expect(resolveMediaStreamSecret('s'.repeat(32))).toEqual({ secret: 's'.repeat(32), generated: false });
    const a = resolveMediaStreamSecret(undefined);
    expect(a.generated).toBe(true);
    expect(a.secret.length).toBeGreaterThanOrEqual(32);
    expect(resolveMediaStreamSecret(undefined).secret).not.toBe(a.secret);
  });
});
