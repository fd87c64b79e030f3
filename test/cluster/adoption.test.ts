/**
 * `POST /cluster/adopt` between instances: a conference's adoption request reaches the adopter
 * whole (the parties already told that interpretation is unavailable included), with the cluster key.
 * `POST /cluster/speech`: a call's speech in progress reaches the adopter sample for sample,
 * bounded, and only from a member of the cluster; the sender hears plainly when the adopter refuses
 * it (not its call to hand over, or no such call).
 */
import request from 'supertest';
import type { AddressInfo } from 'node:net';
import { HAND_OVER_SPEECH_MS, type AdoptRequest, type SpeechHandOver, type SpeechTaking } from '../../src/call/ports';
import { ADOPT_PATH, SPEECH_PATH, clusterKey, createAdoptionModule, sendSpeech } from '../../src/cluster/adoption';
import { Readiness } from '../../src/http/readiness';
import { createHttpServer } from '../../src/http/server';
import { silentLogger } from '../call/fakes/rig-fixtures';

describe('the adoption request between instances', () => {
  it("carries a conference's interpretation, its interpreter legs and the parties told interpretation is unavailable", async () => {
    const key = clusterKey('secret');
    const received: AdoptRequest[] = [];
    const adoption = createAdoptionModule({ key, adopt: (req) => (received.push(req), Promise.resolve({ ok: true })), takeSpeech: () => 'late', logger: silentLogger() });
    const { app } = createHttpServer({ logger: silentLogger(), readiness: new Readiness(), modules: [adoption] });
    const sent: AdoptRequest = { callId: 'call-1', from: 'tolk-a', conference: { mode: 'whisper', interpreterLegs: ['CA-interpreter-1-to-agent'], told: ['CA' + 'b'.repeat(32)] } };
    const res = await request(app).post(ADOPT_PATH).set('x-tolk-cluster-key', key).send(sent);
    expect(res.body).toEqual({ ok: true });
    expect(received).toEqual([sent]);
  });

  it("hands a direct call's speech in progress to the adopter whole, and refuses more than the bound or a stranger", async () => {
    const key = clusterKey('secret');
    const taken: SpeechHandOver[] = [];
    const adoption = createAdoptionModule({ key, adopt: () => Promise.resolve({ ok: true }), takeSpeech: (h) => (taken.push(h), 'taken'), logger: silentLogger() });
    const { app } = createHttpServer({ logger: silentLogger(), readiness: new Readiness(), modules: [adoption] });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const pcm = Int16Array.from({ length: 8000 * 3 }, (_, i) => Math.round(Math.sin(i / 7) * 12_000) - (i % 2));
      const handOver: SpeechHandOver = { callId: 'call-1', from: 'tolk-a', speech: [{ endpoint: 'agent', pcm }] };
      expect(await sendSpeech({ id: 'tolk-b', url }, handOver, { key })).toBe(true);
      expect(taken).toEqual([handOver]);
      expect(await sendSpeech({ id: 'tolk-b', url }, handOver, { key: clusterKey('other') })).toBe(false);
      const tooLong = Buffer.alloc(((HAND_OVER_SPEECH_MS / 1000) * 8000 + 8000) * 2).toString('base64');
      const res = await request(app).post(SPEECH_PATH).set('x-tolk-cluster-key', key).send({ callId: 'call-1', from: 'tolk-a', speech: [{ endpoint: 'agent', pcm: tooLong }] });
      expect(res.status).toBe(400);
      expect(taken).toHaveLength(1);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("carries a conference room's speech in progress, and answers a sender the adopter refuses with why", async () => {
    const key = clusterKey('secret');
    const answers: Record<string, SpeechTaking> = { 'call-1': 'taken', 'call-2': 'not-served-by-sender', 'call-3': 'no-call', 'call-4': 'late' };
    const taken: SpeechHandOver[] = [];
    const adoption = createAdoptionModule({ key, adopt: () => Promise.resolve({ ok: true }), takeSpeech: (h) => (taken.push(h), answers[h.callId]), logger: silentLogger() });
    const { app } = createHttpServer({ logger: silentLogger(), readiness: new Readiness(), modules: [adoption] });
    const pcm = Buffer.from(Int16Array.from({ length: 1600 }, (_, i) => i - 800).buffer).toString('base64');
    const send = (callId: string) => request(app).post(SPEECH_PATH).set('x-tolk-cluster-key', key).send({ callId, from: 'tolk-a', speech: [{ endpoint: 'room', pcm }] });
    const room = await send('call-1');
    expect([room.status, room.body]).toEqual([200, { taken: true }]);
    expect(taken[0]).toEqual({ callId: 'call-1', from: 'tolk-a', speech: [{ endpoint: 'room', pcm: Int16Array.from({ length: 1600 }, (_, i) => i - 800) }] });
    const stranger = await send('call-2');
    expect([stranger.status, stranger.body]).toEqual([403, { taken: false, error: 'call call-2 was not adopted from tolk-a' }]);
    const gone = await send('call-3');
    expect([gone.status, gone.body]).toEqual([404, { taken: false, error: 'no call call-3 is live here' }]);
    const late = await send('call-4');
    expect([late.status, late.body]).toEqual([200, { taken: false }]);
  });
});
