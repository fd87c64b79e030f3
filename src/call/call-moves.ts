/**
 * A live call moving between instances (a rolling deploy), seen from each side: the instance
 * shutting down offers the call to another (`moveCallOut`), and the one taking it rebuilds it from
 * its record, opens its translation sessions, takes it over in the directory and has the
 * telephony bring its media there (`adoptCall`). The registry of live calls (CallService) stays
 * where it was: each side is given the call, or the means to register it.
 */
import { samplesToMs } from '../audio/frame';
import type { Logger } from '../log/logger';
import type { CallServiceDeps, LiveCall } from './call-service';
import { ConferenceCall } from './conference-call';
import { DirectCall, type CallDeps } from './direct-call';
import type { CallEventBus } from './events';
import { stamp, type MovedCall } from './events';
import { LegNotMovedError, type AdoptRequest, type AdoptResult, type SendAdoption, type SendSpeech, type SpeechHandOver } from './ports';
import { directTargets, rebuildCall } from './rebuild';
import { WarmSessions } from './warm-sessions';

/** How long an adopted call's translation sessions may take to open before the adoption is refused. */
export const ADOPT_SESSIONS_MS = 5_000;
/** How long an adopted call's media may take to come here once the telephony was asked to move it. */
export const ADOPT_MEDIA_MS = 10_000;
/**
 * How long the caller's media may take to come here when the request to move its leg failed
 * without the telephony saying it refused (no answer in time, a 5xx after the retries): it may
 * have moved all the same.
 */
export const ADOPT_UNANSWERED_MOVE_MS = 3_000;

/**
 * Moves live `call` from instance `self` to instance `to`: `send` asks that instance to adopt it.
 * Resolves 'moved' once it serves the call and this one has let go: the call's utterances in
 * progress (a direct call's parties', a conference room's) are handed to it (`handOver`), to be
 * translated there whole, and what this one's sessions still held of earlier speech is written
 * first; 'kept' when the call stays here (served on as before); 'gone' when its media left but `to`
 * did not take it.
 */
export async function moveCallOut(
  call: LiveCall,
  self: string,
  to: string,
  send: SendAdoption,
  sink: { events: CallEventBus; log: Logger },
  handOver?: SendSpeech,
): Promise<'moved' | 'kept' | 'gone'> {
  const callId = call.id;
  const log = sink.log.child({ callId, toInstance: to });
  const kind = call instanceof DirectCall ? 'direct' : 'conference';
  call.beginMoveOut();
  const req: AdoptRequest = { callId, from: self, ...(call instanceof ConferenceCall ? { conference: { mode: call.mode, interpreterLegs: call.interpreterLegs, told: call.told } } : {}) };
  log.info({ event: 'call.moving', kind }, `moving the call to ${to}`);
  const result = await send(to, req).catch((err: unknown): AdoptResult => ({ ok: false, reason: err instanceof Error ? err.message : String(err), kept: true }));
  if (!result.ok && result.kept) {
    log.warn({ event: 'call.move_failed', reason: result.reason }, `the call stays here: ${result.reason}`);
    call.stayAfterAll();
    return 'kept';
  }
  if (!result.ok) log.error({ event: 'call.move_failed', reason: result.reason, kept: false }, `the call's media left for ${to}, which did not take it: ${result.reason}`);
  sink.events.publish(stamp({ type: 'call.moved', kind, from: self, to, direction: 'out' }, { callId, ...(call instanceof ConferenceCall ? { conferenceId: call.conference } : {}) }, Date.now()));
  if (result.ok && handOver) await handOverSpeech(call, { callId, from: self, speech: call.speechInProgress() }, to, handOver, log);
  await call.movedOut();
  return result.ok ? 'moved' : 'gone';
}

/** Hands `call`'s utterances in progress to `to`; when it does not take them, they are written here as far as heard. */
async function handOverSpeech(call: LiveCall, handOver: SpeechHandOver, to: string, send: SendSpeech, log: Logger): Promise<void> {
  const ms = handOver.speech.map((s) => ({ endpoint: s.endpoint, ms: Math.round(samplesToMs(s.pcm.length)) }));
  const taken = await send(to, handOver).catch((err: unknown) => {
    log.warn({ event: 'call.speech_handover_failed', err }, 'could not hand the speech in progress over');
    return false;
  });
  if (taken) log.info({ event: 'call.speech_handed_over', speech: ms }, 'speech in progress handed over');
  else {
    log.warn({ event: 'call.speech_not_taken', speech: ms }, `${to} did not take the speech in progress: only what was translated here of it is written`);
    call.keepSpeechInProgress();
  }
}

/** What adopting a call needs of the instance taking it. */
export interface AdoptionHost {
  deps: CallDeps & Pick<CallServiceDeps, 'numbers' | 'records' | 'conferences' | 'maxConferenceLanguages' | 'instance' | 'ownership'>;
  log: Logger;
  /** Whether the instance is shutting down (it takes no call then). */
  draining(): boolean;
  /** Whether a call with this id is live here. */
  has(callId: string): boolean;
  /** Makes `call` live here: media for `legs` reaches it, and a conference call is found by `conferences` (its names and ref). */
  register(call: LiveCall, legs: string[], conferences: string[]): void;
}

/**
 * Another instance, shutting down, hands call `req.callId` over: it is rebuilt from its record,
 * its translation sessions are opened, it is taken over in the directory (compare-and-set), and
 * the telephony brings its media here. Resolves once the media is here, or with why not.
 */
export async function adoptCall(req: AdoptRequest, host: AdoptionHost): Promise<AdoptResult> {
  const deps = host.deps;
  const log = host.log.child({ callId: req.callId, fromInstance: req.from });
  const refuse = (reason: string): AdoptResult => {
    log.warn({ event: 'call.adopt_refused', reason }, `not adopting the call: ${reason}`);
    return { ok: false, reason, kept: true };
  };
  const { ownership, instance: self } = deps;
  if (host.draining()) return refuse('this instance is shutting down');
  if (!ownership || !self || !deps.telephony.reconnect) return refuse('calls cannot move to this instance');
  if (host.has(req.callId)) return refuse('the call is here already');
  const record = await deps.records.get(req.callId).catch(() => undefined);
  if (!record) return refuse('no record of the call');
  const settings = record.number ? await deps.numbers.lookup(record.number) : undefined;
  const made = rebuildCall(record, settings);
  if (typeof made === 'string') return refuse(made);
  if (made.kind === 'direct' && !settings) return refuse(`number ${record.number} is not configured`);
  const conferences = deps.conferences;
  if (made.kind === 'conference' && !conferences) return refuse('conference interpreting is not configured');
  const info = made.kind === 'conference' ? await conferences!.find(made.conference).catch(() => undefined) : undefined;
  if (made.kind === 'conference' && !info) return refuse(`no conference ${made.conference} in progress`);

  const warm = new WarmSessions(deps.translators);
  const languages = made.kind === 'direct' ? directTargets(settings!, made.callerLanguage) : [...new Set(made.parties.map((p) => p.language))];
  try {
    await warm.open(languages, { echoTargetLanguage: made.kind === 'direct' ? (settings!.echoTargetLanguage ?? false) : false, logger: log, timeoutMs: ADOPT_SESSIONS_MS });
  } catch (err) {
    return refuse(err instanceof Error ? err.message : String(err));
  }
  const callDeps = { ...deps, translators: warm };
  const call: LiveCall =
    made.kind === 'direct'
      ? new DirectCall(callDeps, {
          id: record.id,
          settings: settings!,
          callerLeg: made.callerLeg,
          from: made.from,
          callerLanguage: { language: made.callerLanguage, source: 'configured' },
          adopted: { from: req.from, agentLeg: made.agentLeg, startedAt: made.startedAt, ...(made.answeredAt === undefined ? {} : { answeredAt: made.answeredAt }) },
        })
      : new ConferenceCall(
          { ...callDeps, conferences: conferences! },
          {
            id: record.id,
            conference: made.conference,
            requestedMode: req.conference?.mode ?? made.mode,
            callerId: settings?.number ?? (await deps.numbers.list())[0]?.number ?? 'tolk',
            parties: made.parties,
            ...(made.dial ? { dial: made.dial } : {}),
            maxLanguages: deps.maxConferenceLanguages ?? 4,
            adopted: {
              from: req.from,
              ...(made.dialledLeg ? { dialledLeg: made.dialledLeg } : {}),
              ...(made.dialledAt === undefined ? {} : { dialledAt: made.dialledAt }),
              startedAt: made.startedAt,
              ...(made.answeredAt === undefined ? {} : { answeredAt: made.answeredAt }),
              generation: (record.moves?.length ?? 0) + 2,
              told: req.conference?.told ?? [],
            },
          },
        );
  const legs = made.kind === 'direct' ? [made.callerLeg, made.agentLeg] : made.dial ? [made.dial.callerLeg] : [];
  const refs = { legs, ...(made.kind === 'conference' ? { conferences: [made.conference] } : {}) };
  const taken = await ownership.takeOver(record.id, refs, req.from).catch((err: unknown) => ({ ok: false as const, holder: `(the directory failed: ${err instanceof Error ? err.message : String(err)})` }));
  if (!taken.ok) {
    await Promise.all([warm.close(), call.discard()]);
    return refuse(`the directory names ${taken.holder ?? 'no instance'} as serving it, not ${req.from}`);
  }
  host.register(call, legs, made.kind === 'conference' ? [made.conference, info!.ref, info!.name] : []);
  const ids = { callId: record.id, ...(call instanceof ConferenceCall ? { conferenceId: call.conference } : {}) };
  const moved: MovedCall = {
    number: record.number,
    from: record.from,
    destination: record.destination,
    ...(call instanceof ConferenceCall ? { conference: call.conference, mode: call.requestedMode } : {}),
    state: record.state,
    startedAt: made.startedAt,
    ...(made.answeredAt === undefined ? {} : { answeredAt: made.answeredAt }),
  };
  deps.events.publish(stamp({ type: 'call.moved', kind: made.kind, from: req.from, to: self, direction: 'in', call: moved }, ids, Date.now()));
  // Recorded once the call cannot go back: until then the record names the instance serving it.
  const recordMove = (): Promise<unknown> =>
    deps.records.update(record.id, { instance: self, moves: [...(record.moves ?? []), { from: req.from, to: self, at: new Date() }] }).catch((err: unknown) => {
      log.warn({ event: 'call.adopt_record_failed', err }, 'could not record the move');
    });

  if (call instanceof DirectCall) {
    const reconnect = deps.telephony.reconnect.bind(deps.telephony);
    const notMoved = await reconnect(call.callerLeg, { callId: record.id, endpoint: 'caller' }).then(
      () => undefined,
      (err: unknown) => whyCallerNotMoved(call, err, log),
    );
    if (notMoved !== undefined) {
      // Nothing moved: the call goes back to the instance that serves it.
      await ownership.handBack(record.id, refs, req.from).catch(() => undefined);
      deps.events.publish(stamp({ type: 'call.moved', kind: 'direct', from: self, to: req.from, direction: 'out' }, ids, Date.now()));
      await Promise.all([warm.close(), call.discard()]);
      return refuse(`the telephony did not move the caller's leg: ${notMoved}`);
    }
    await recordMove();
    // A call that ended here meanwhile (the caller hung up, its frame tick threw) takes no leg more.
    if (call.state !== 'ended') {
      await reconnect(call.agentLeg ?? '', { callId: record.id, endpoint: 'agent' }).catch((err: unknown) => {
        log.error({ event: 'call.adopt_leg_failed', callSid: call.agentLeg, err }, "the telephony did not move the other party's leg");
      });
    }
  } else {
    const skip = new Set(req.conference?.interpreterLegs ?? []);
    const members = info!.members.filter((m) => !skip.has(m.legRef));
    call.start(members, (onEvent) => (call.created ? () => undefined : conferences!.watch(info!, onEvent)));
  }
  // The sessions opened ahead that no route took are closed once the routes have started (they
  // start with the speech in progress handed over, after this answer).
  void call.routesStarted().then(() => warm.close());
  const joined = await within(call.whenJoined(), ADOPT_MEDIA_MS);
  if (joined.settled && joined.value === undefined) {
    if (call instanceof ConferenceCall) {
      await recordMove();
      // The other instance interprets it until it hands over the room's speech in progress, next.
      call.awaitHandedSpeech();
    }
    log.info({ event: 'call.adopted', kind: made.kind }, `call adopted from ${req.from}`);
    return { ok: true };
  }
  if (call instanceof ConferenceCall) {
    // The other instance's legs are still in the conference: it goes on interpreting it.
    await ownership.handBack(record.id, refs, req.from).catch(() => undefined);
    deps.events.publish(stamp({ type: 'call.moved', kind: 'conference', from: self, to: req.from, direction: 'out' }, ids, Date.now()));
    await call.discard();
    return refuse(joined.settled ? (joined.value ?? '') : `the interpreter legs did not connect within ${ADOPT_MEDIA_MS / 1000} s`);
  }
  if (joined.settled) {
    // It ended here before its legs were joined (the other instance has lost the caller's media).
    log.warn({ event: 'call.adopt_ended', reason: joined.value }, `the call ended here before its legs were joined: ${joined.value ?? ''}`);
    return { ok: false, reason: `the call ended on ${self} before its legs were joined: ${joined.value ?? ''}`, kept: false };
  }
  log.error({ event: 'call.adopt_media_missing', waitedMs: ADOPT_MEDIA_MS }, "the call's media did not come within the bound: ending it");
  void call.shutdown();
  return { ok: false, reason: `the call's media did not come to ${self} within ${ADOPT_MEDIA_MS / 1000} s`, kept: false };
}

/**
 * The request to move `call`'s caller leg failed (`err`): undefined when the leg moved all the same
 * (its media came here: the request's answer was lost, not the update), else why it did not. A
 * refusal (`LegNotMovedError`) is taken at its word; any other failure waits a little for the media.
 */
async function whyCallerNotMoved(call: DirectCall, err: unknown, log: Logger): Promise<string | undefined> {
  const why = err instanceof Error ? err.message : String(err);
  if (err instanceof LegNotMovedError) return why;
  const came = await within(call.whenCallerHere(), ADOPT_UNANSWERED_MOVE_MS);
  if (!came.settled) return `${why} (and its media did not come within ${ADOPT_UNANSWERED_MOVE_MS / 1000} s)`;
  log.warn({ event: 'call.adopt_move_unanswered', err }, `the request to move the caller's leg failed, but its media came here: adopting it (${why})`);
  return undefined;
}

/** What `p` resolves with, if it does within `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<{ settled: true; value: T } | { settled: false }> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ settled: false }), ms);
    void p.then((value) => {
      clearTimeout(timer);
      resolve({ settled: true, value });
    });
  });
}
