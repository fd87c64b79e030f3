/**
 * Every leg tolk places goes through the dial queue: a burst of 20 outbound calls at TWILIO_CPS=1
 * is placed one per second (measured between the placements the phone network receives), none
 * refused; Twilio's 429s are retried within the ring timeout, and a refusal no retry can fix is not.
 */
import { InterpreterLegRefusedError, WhisperRefusedError, type AddInterpreterRequest, type AddPartyRequest, type ConferenceTelephony, type DialRequest } from '../../src/call/ports';
import { DIAL_QUEUE, dialProcessor, dialQueueSpec, QueuedConferences, QueuedTelephony } from '../../src/jobs/dial-queue';
import { RecordingTelephony, retryable } from '../call/fakes/recording-telephony';
import { JobFailedError, type JobRequest } from '../../src/jobs/queue';
import { BACKENDS, openTestQueues, waitFor, type TestQueues } from './helpers';

function request(callId: string, ringTimeoutSec = 60): DialRequest {
  return { callId, endpoint: 'agent', destination: '+15550002222', callerId: '+15550001111', ringTimeoutSec };
}

describe.each(BACKENDS)('dial queue (%s)', (backend) => {
  let q: TestQueues;
  afterEach(async () => q?.close());

  it('places a burst of 20 legs one per second at TWILIO_CPS=1, each answered with its own leg', async () => {
    q = openTestQueues(backend, [dialQueueSpec(1)]);
    const network = new RecordingTelephony();
    q.jobs.work(DIAL_QUEUE, dialProcessor(network, retryable));
    const telephony = new QueuedTelephony(network, q.jobs);
    const ids = Array.from({ length: 20 }, (_, i) => `burst-${i}`);
    const sids = await Promise.all(ids.map((id) => telephony.dial(request(id))));
    expect(sids).toEqual(ids.map((id) => `CA-${id}`));
    expect(network.placed.map((p) => p.callId).sort()).toEqual(ids.toSorted());
    const times = network.placed.map((p) => p.at).sort((a, b) => a - b);
    // 1 call per second. The limiter spaces the jobs' starts; the placements themselves follow a
    // busy event loop's scheduling, so one gap may shrink by what the previous one grew:
    // no two placements within 0.8 s, and no five within 3.9 s.
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(800);
    const spans = times.slice(4).map((t, i) => t - times[i]);
    expect(Math.min(...spans)).toBeGreaterThanOrEqual(3900);
    expect(times[19] - times[0]).toBeGreaterThanOrEqual(18_900);
  }, 60_000);

  it("retries Twilio's 429 with backoff and places the leg", async () => {
    q = openTestQueues(backend, [dialQueueSpec(5)]);
    const network = new RecordingTelephony();
    network.failFirst = 2;
    q.jobs.work(DIAL_QUEUE, dialProcessor(network, retryable));
    await expect(new QueuedTelephony(network, q.jobs).dial(request('busy-api'))).resolves.toBe('CA-busy-api');
    expect(network.placed).toHaveLength(1);
  }, 20_000);

  it('gives up at once on a refusal no retry can fix', async () => {
    q = openTestQueues(backend, [dialQueueSpec(5)]);
    let tries = 0;
    const network = new RecordingTelephony();
    network.dial = () => {
      tries++;
      return Promise.reject(Object.assign(new Error('The number is unverified'), { status: 400 }));
    };
    q.jobs.work(DIAL_QUEUE, dialProcessor(network, retryable));
    await expect(new QueuedTelephony(network, q.jobs).dial(request('bad-number'))).rejects.toThrow(/unverified/);
    expect(tries).toBe(1);
  });

  it('answers with the leg placed whose result was written just as the wait for it ran out, and keeps the job', async () => {
    q = openTestQueues(backend, [dialQueueSpec(5)]);
    const network = new RecordingTelephony();
    q.jobs.work(DIAL_QUEUE, dialProcessor(network, retryable));
    // The job's result is written, and the news of it reaches the waiter only after its wait ran out.
    const newsLate = new Proxy(q.jobs, {
      get: (target, prop) =>
        prop === 'addAndWait'
          ? (queue: string, job: JobRequest<unknown>, timeoutMs: number) =>
              target.addAndWait(queue, job, 20_000).then(() => Promise.reject(new JobFailedError(`job ${job.id} did not finish within ${timeoutMs} ms`, true)))
          : (Reflect.get(target, prop, target) as unknown),
    });
    await expect(new QueuedTelephony(network, newsLate).dial(request('late-news'))).resolves.toBe('CA-late-news');
    expect(network.placed).toHaveLength(1);
    expect(await q.jobs.get(DIAL_QUEUE, 'dial.late-news.agent')).toMatchObject({ state: 'completed', result: 'CA-late-news' });
  });

  it('fails a dial whose wait ran out within seconds, though Redis answers neither the read of its job nor its removal', async () => {
    q = openTestQueues(backend, [dialQueueSpec(5)]);
    const network = new RecordingTelephony();
    const stalled = new Proxy(q.jobs, {
      get: (target, prop) =>
        prop === 'addAndWait'
          ? (_queue: string, job: JobRequest<unknown>, timeoutMs: number) => Promise.reject(new JobFailedError(`job ${job.id} did not finish within ${timeoutMs} ms`, true))
          : prop === 'get' || prop === 'remove'
            ? () => new Promise(() => undefined)
            : (Reflect.get(target, prop, target) as unknown),
    });
    const dial = new QueuedTelephony(network, stalled).dial(request('stalled'));
    const outcome = await Promise.race([dial.then(() => 'leg', () => 'failed'), new Promise((r) => setTimeout(() => r('still waiting after 6 s'), 6000))]);
    expect(outcome).toBe('failed');
  }, 10_000);

  it('does not place a leg whose ring timeout passed while it waited', async () => {
    q = openTestQueues(backend, [dialQueueSpec(1)]);
    const network = new RecordingTelephony();
    const telephony = new QueuedTelephony(network, q.jobs);
    // No worker yet: the dial waits past its 1 s ring timeout, and its job leaves the queue.
    await expect(telephony.dial(request('too-late', 1))).rejects.toMatchObject({ timedOut: true });
    expect(await q.jobs.get(DIAL_QUEUE, 'dial.too-late.agent')).toBeUndefined();
    // A job that reaches a worker after its deadline anyway (one the wait could not take back)
    // fails for good without placing the leg.
    await q.jobs.add(DIAL_QUEUE, { id: 'dial.stale.agent', data: { request: request('stale'), deadline: Date.now() - 1 }, attempts: 6 });
    q.jobs.work(DIAL_QUEUE, dialProcessor(network, retryable));
    const settled = async () => {
      const state = (await q.jobs.get(DIAL_QUEUE, 'dial.stale.agent'))?.state;
      return state === 'failed' || state === 'completed';
    };
    await waitFor(settled, 10_000, 'the worker to take the late dial');
    const job = await q.jobs.get(DIAL_QUEUE, 'dial.stale.agent');
    expect(job).toMatchObject({ state: 'failed', attemptsMade: 1 });
    expect(network.placed).toEqual([]);
  });

  it('places conference parties and interpreter legs through the same limit, and passes a refused whisper or leg on', async () => {
    q = openTestQueues(backend, [dialQueueSpec(1)]);
    const placed: { what: string; at: number }[] = [];
    const network: ConferenceTelephony = {
      addParty: (req: AddPartyRequest) => {
        placed.push({ what: `party:${req.destination}`, at: Date.now() });
        return Promise.resolve(`CA-party-${req.callId}`);
      },
      addInterpreter: (req: AddInterpreterRequest) => {
        if (req.whisperTo === 'CA-refuse') return Promise.reject(new WhisperRefusedError('Twilio error 16000: no Agent Conference'));
        if (req.endpoint === 'refused') return Promise.reject(new InterpreterLegRefusedError('Twilio 400 error 21218: Invalid ApplicationSid'));
        placed.push({ what: `interpreter:${req.endpoint}`, at: Date.now() });
        return Promise.resolve(`CA-${req.endpoint}`);
      },
      find: () => Promise.resolve(undefined),
      removeLeg: () => Promise.resolve(),
      end: () => Promise.resolve(),
      watch: () => () => undefined,
      announce: () => Promise.resolve(),
    };
    q.jobs.work(DIAL_QUEUE, dialProcessor(new RecordingTelephony(), retryable, { conferences: network }));
    const conferences = new QueuedConferences(network, q.jobs);
    const callId = '7d1c9e5e-0000-4000-8000-000000000001';
    const sids = await Promise.all([
      conferences.addParty({ callId, conference: 'c', destination: '+15550002222', callerId: '+15550001111', ringTimeoutSec: 30 }),
      conferences.addInterpreter({ callId, conference: 'c', endpoint: 'whisper-1', callerId: '+15550001111' }),
      conferences.addInterpreter({ callId, conference: 'c', endpoint: 'whisper-2', callerId: '+15550001111' }),
    ]);
    expect(sids).toEqual([`CA-party-${callId}`, 'CA-whisper-1', 'CA-whisper-2']);
    const times = placed.map((p) => p.at).sort((a, b) => a - b);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(800);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(800);
    await expect(conferences.addInterpreter({ callId, conference: 'c', endpoint: 'whisper-3', callerId: '+15550001111', whisperTo: 'CA-refuse' })).rejects.toBeInstanceOf(WhisperRefusedError);
    await expect(conferences.addInterpreter({ callId, conference: 'c', endpoint: 'refused', callerId: '+15550001111' })).rejects.toEqual(
      new InterpreterLegRefusedError('Twilio 400 error 21218: Invalid ApplicationSid'),
    );
  }, 20_000);
});
