/**
 * `POST /cluster/adopt` between instances: a conference's adoption request reaches the adopter
 * whole (the parties already told that interpretation is unavailable included), with the cluster key.
 * `POST /cluster/speech`: a direct call's speech in progress reaches the adopter sample for sample,
 * bounded, and only from a member of the cluster.
 */
import request from 'supertest';
import type { AddressInfo } from 'node:net';
import { HAND_OVER_SPEECH_MS, type AdoptRequest, type SpeechHandOver } from '../../src/call/ports';
import { ADOPT_PATH, SPEECH_PATH, clusterKey, createAdoptionModule, sendSpeech } from '../../src/cluster/adoption';
import { Readiness } from '../../src/http/readiness';
import { createHttpServer } from '../../src/http/server';
import { silentLogger } from '../call/fakes/rig-fixtures';

describe('the adoption request between instances', () => {
  it("carries a conference's interpretation, its interpreter legs and the parties told interpretation is unavailable", async () => {
    const key = clusterKey('secret');
    const received: AdoptRequest[] = [];
    const adoption = createAdoptionModule({ key, adopt: (req) => (received.push(req), Promise.resolve({ ok: true })), takeSpeech: () => false, logger: silentLogger() });
    const { app } = createHttpServer({ logger: silentLogger(), readiness: new Readiness(), modules: [adoption] });
    const sent: AdoptRequest = { callId: 'call-1', from: 'tolk-a', conference: { mode: 'whisper', interpreterLegs: ['CA-interpreter-1-to-agent'], told: ['CA' + 'b'.repeat(32)] } };
    const res = await request(app).post(ADOPT_PATH).set('x-tolk-cluster-key', key).send(sent);
    expect(res.body).toEqual({ ok: true });
    expect(received).toEqual([sent]);
  });

  it("hands a direct call's speech in progress to the adopter whole, and refuses more than the bound or a stranger", async () => {
    const key = clusterKey('secret');
    const taken: SpeechHandOver[] = [];
    const adoption = createAdoptionModule({ key, adopt: () => Promise.resolve({ ok: true }), takeSpeech: (h) => (taken.push(h), true), logger: silentLogger() });
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
});
