/**
 * A rig process answers every command the bench sends it: a command whose handling throws is
 * answered `failed` with the reason and reported, and the process goes on answering the next, so
 * the bench hears of it at once instead of waiting out its timeout or losing the rig.
 */
import { commandListener, type FailedReply } from '../../scripts/rig/commands';
import { RigProcess } from '../../scripts/rig/load-rig';
import type { GeminiRigCommand, GeminiRigReply, TwilioRigCommand, TwilioRigConfig, TwilioRigReply } from '../../scripts/rig/protocol';

type Cmd = { type: 'ok' } | { type: 'boom' };
type Reply = { type: 'done' };

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('the rig processes answering the bench', () => {
  it('answers a command that throws with `failed`, reports it, and answers the next', async () => {
    const replies: (Reply | FailedReply)[] = [];
    const reported: [string, string][] = [];
    const listen = commandListener<Cmd, Reply>(
      (cmd) => {
        if (cmd.type === 'boom') throw new Error('the socket is gone');
        return { type: 'done' };
      },
      (r) => replies.push(r),
      (command, error) => reported.push([command, error]),
    );
    listen({ type: 'boom' });
    await settle();
    listen({ type: 'ok' });
    await settle();
    expect(replies).toEqual([{ type: 'failed', command: 'boom', error: 'the socket is gone' }, { type: 'done' }]);
    expect(reported).toEqual([['boom', 'the socket is gone']]);
  });

  it('goes on when the answer itself cannot be sent', async () => {
    const reported: string[] = [];
    let sends = 0;
    const listen = commandListener<Cmd, Reply>(
      () => Promise.reject(new Error('bad')),
      () => {
        sends++;
        throw new Error('channel closed');
      },
      (_command, error) => reported.push(error),
    );
    listen({ type: 'boom' });
    await settle();
    expect(sends).toBe(1);
    expect(reported).toEqual(['bad']);
  });
});

describe('the rig processes themselves', () => {
  const started: { stop(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((r) => r.stop()));
  });

  it("the Twilio side answers a command it cannot handle as failed, counts it, and keeps answering", async () => {
    const config: TwilioRigConfig = {
      accountSid: `AC${'0'.repeat(32)}`,
      authToken: 'rig-token',
      tolkBase: 'http://127.0.0.1:9',
      tolkNumber: '+15550001111',
      callSec: 5,
      answerAfterMs: 100,
      spacingMs: 10,
      sampleEvery: 1,
      modelLatencyMs: 300,
      record: false,
      handshakeTimeoutMs: 300,
    };
    const rig = new RigProcess<TwilioRigCommand, TwilioRigReply>('twilio-rig', config, true);
    started.push(rig);
    expect((await rig.next(30_000)).type).toBe('ready');
    await expect(rig.request({ type: 'rewind' } as unknown as TwilioRigCommand, 5_000)).rejects.toThrow("the rig's twilio-rig failed to rewind: unknown command");
    const r = await rig.request({ type: 'stats' }, 5_000);
    expect(r.type === 'stats' && r.stats.errors).toBe(1);
    expect(rig.child.exitCode).toBeNull();
  }, 60_000);

  it('the Gemini side does the same', async () => {
    const rig = new RigProcess<GeminiRigCommand, GeminiRigReply>('gemini-rig', { modelLatencyMs: 300, echo: false }, true);
    started.push(rig);
    expect((await rig.next(30_000)).type).toBe('ready');
    await expect(rig.request({ type: 'rewind' } as unknown as GeminiRigCommand, 5_000)).rejects.toThrow("the rig's gemini-rig failed to rewind: unknown command");
    const r = await rig.request({ type: 'stats' }, 5_000);
    expect(r.type === 'stats' && r.stats.errors).toBe(1);
  }, 60_000);
});
