/**
 * `POST /cluster/adopt` between instances: a conference's adoption request reaches the adopter
 * whole (the parties already told that interpretation is unavailable included), with the cluster key.
 */
import request from 'supertest';
import type { AdoptRequest } from '../../src/call/ports';
import { ADOPT_PATH, clusterKey, createAdoptionModule } from '../../src/cluster/adoption';
import { Readiness } from '../../src/http/readiness';
import { createHttpServer } from '../../src/http/server';
import { silentLogger } from '../call/fakes/rig-fixtures';

describe('the adoption request between instances', () => {
  it("carries a conference's interpretation, its interpreter legs and the parties told interpretation is unavailable", async () => {
    const key = clusterKey('secret');
    const received: AdoptRequest[] = [];
    const adoption = createAdoptionModule({ key, adopt: (req) => (received.push(req), Promise.resolve({ ok: true })), logger: silentLogger() });
    const { app } = createHttpServer({ logger: silentLogger(), readiness: new Readiness(), modules: [adoption] });
    const sent: AdoptRequest = { callId: 'call-1', from: 'tolk-a', conference: { mode: 'whisper', interpreterLegs: ['CA-interpreter-1-to-agent'], told: ['CA' + 'b'.repeat(32)] } };
    const res = await request(app).post(ADOPT_PATH).set('x-tolk-cluster-key', key).send(sent);
    expect(res.body).toEqual({ ok: true });
    expect(received).toEqual([sent]);
  });
});
