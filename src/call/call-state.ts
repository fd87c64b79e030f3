/**
 * The interpreted call's state machine, as pure data: (state, event) -> (next state, effects).
 * The `InterpretedCall` runs the effects (dialling, tones, joining legs, hanging up); keeping the
 * decisions here makes every path of a call visible in one table and testable without I/O.
 *
 *   answered --caller stream--> dialing --ringing--> ringing --answered--> connecting
 *   connecting --agent stream--> bridged --either side hangs up--> ended
 *   dialing/ringing --busy|no-answer|failed--> ended (caller hears why)
 *   any state --operator hangs up--> ended (both legs hung up)
 *   any state --a party's media lost (tolk closed its stream)--> ended (media_lost, both legs hung up)
 *   any state --tolk failed (the call's audio processing threw)--> ended (error, both legs hung up)
 *
 * Every state that waits on the outside world has a deadline (`deadlineOf`): past it, tolk asks the
 * phone network where the call's legs are and the `deadline` trigger ends what is over, hangs up
 * what is still up, and says why. A bridged call waits on nothing but its media connections, which
 * end when their media stops.
 */
import type { CallOutcome } from '../store/call-record';
import type { LegEndReason, LegStatus } from './ports/telephony';

export type { CallOutcome };

export type CallState = 'answered' | 'dialing' | 'ringing' | 'connecting' | 'bridged' | 'ended';

/** Every state a call's record can be in (a call tolk places starts `scheduled`, then `calling`). */
export const CALL_STATES = ['scheduled', 'calling', 'answered', 'dialing', 'ringing', 'connecting', 'bridged', 'ended'] as const;

export type CallTrigger =
  | { type: 'caller-stream-started' }
  /** The caller's stream stopped or their call completed; `mediaLost`: tolk closed their stream as its media was lost (how). */
  | { type: 'caller-left'; mediaLost?: string }
  | { type: 'agent-status'; status: LegStatus }
  | { type: 'agent-stream-started' }
  /** The agent's stream stopped; `mediaLost` as for the caller. */
  | { type: 'agent-left'; mediaLost?: string }
  | { type: 'dial-failed' }
  | { type: 'operator-hangup' }
  /** tolk is shutting down; `drained`: it waited its drain timeout for the call to end, and the parties were told. */
  | { type: 'shutdown'; drained?: boolean }
  /** tolk itself failed in a way the call cannot go on from; `reason` says how (the call's end reason). */
  | { type: 'failure'; reason: string }
  /** The state's deadline passed; the legs as the network reported them when asked. */
  | { type: 'deadline'; waitedMs: number; caller: LegFinding; agent?: LegFinding };

/**
 * A leg as found when tolk asked the network: its status, `gone` when the network has no such leg,
 * `unknown` when the network could not be asked.
 */
export type LegFinding = LegStatus | { state: 'gone' } | { state: 'unknown' };

/** How long each waiting state may last (see `deadlineOf`). */
export interface StateLimits {
  /** A leg answered without its media connection (greeting, language menu, stream handshake). */
  stepMs: number;
  /** The other party's leg is being placed or rings: its ring timeout plus `stepMs`. */
  ringTimeoutMs: number;
}

/** Ms `state` may last before the network is asked where the call is; undefined: no deadline. */
export function deadlineOf(state: CallState, limits: StateLimits): number | undefined {
  switch (state) {
    case 'answered':
    case 'connecting':
      return limits.stepMs;
    case 'dialing':
    case 'ringing':
      return limits.ringTimeoutMs + limits.stepMs;
    case 'bridged':
    case 'ended':
      return undefined;
  }
}

export type CallEffect =
  | { type: 'dial-agent' }
  | { type: 'ringback'; on: boolean }
  | { type: 'join-legs' }
  | { type: 'tell-caller'; reason: 'busy' | 'no-answer' | 'failed' } // then the caller's call ends
  | { type: 'end-caller' }
  | { type: 'end-agent' } // hang up a connected agent, or cancel one still ringing
  | { type: 'release' }; // close translators, unsubscribe from the clock, record the outcome

export interface Transition {
  state: CallState;
  effects: CallEffect[];
  outcome?: CallOutcome;
  /** Why the call ended, in a few words (with `outcome`). */
  reason?: string;
}

const end = (outcome: CallOutcome, effects: CallEffect[], reason: string): Transition => ({
  state: 'ended',
  effects: [...effects, { type: 'release' }],
  outcome,
  reason,
});

/** Returns the transition for `event` in `state`, or undefined when the event changes nothing. */
export function nextState(state: CallState, event: CallTrigger): Transition | undefined {
  if (state === 'ended') return undefined;
  if (event.type === 'shutdown') {
    const effects: CallEffect[] = [{ type: 'end-agent' }, { type: 'end-caller' }];
    return event.drained ? end('interrupted', effects, 'tolk shut down: the call outlasted its drain timeout') : end('error', effects, 'tolk shut down');
  }
  if (event.type === 'failure') return end('error', [{ type: 'ringback', on: false }, { type: 'end-agent' }, { type: 'end-caller' }], event.reason);
  if (event.type === 'operator-hangup') return end('hungup_by_operator', [{ type: 'ringback', on: false }, { type: 'end-agent' }, { type: 'end-caller' }], 'an operator hung up');
  if (event.type === 'deadline') return atDeadline(state, event);
  if ((event.type === 'caller-left' || event.type === 'agent-left') && event.mediaLost !== undefined) {
    // Nobody hung up: the party's media stopped reaching tolk. What is still up of the call is hung up.
    const whose = event.type === 'caller-left' ? "the caller's" : "the other party's";
    return end('media_lost', [{ type: 'ringback', on: false }, { type: 'end-agent' }, { type: 'end-caller' }], `${whose} media was lost (${event.mediaLost}): tolk closed the stream and ended the call`);
  }

  switch (state) {
    case 'answered':
      if (event.type === 'caller-stream-started') return { state: 'dialing', effects: [{ type: 'ringback', on: true }, { type: 'dial-agent' }] };
      if (event.type === 'caller-left') return end('canceled', [], 'the caller hung up before their media connected');
      return undefined;

    case 'dialing':
    case 'ringing':
    case 'connecting':
      return beforeBridge(state, event);

    case 'bridged':
      if (event.type === 'caller-left') return end('completed', [{ type: 'end-agent' }], 'the caller hung up');
      if (event.type === 'agent-left') return end('completed', [{ type: 'end-caller' }], 'the other party hung up');
      if (event.type === 'agent-status' && event.status.state === 'ended') return end('completed', [{ type: 'end-caller' }], 'the other party hung up');
      return undefined;
  }
}

function beforeBridge(state: 'dialing' | 'ringing' | 'connecting', event: CallTrigger): Transition | undefined {
  switch (event.type) {
    case 'caller-left':
      return end('canceled', [{ type: 'end-agent' }], 'the caller hung up before the other party was connected');
    case 'dial-failed':
      return end('failed', [{ type: 'ringback', on: false }, { type: 'tell-caller', reason: 'failed' }], 'the other party could not be dialled');
    case 'agent-stream-started':
      return { state: 'bridged', effects: [{ type: 'ringback', on: false }, { type: 'join-legs' }] };
    case 'agent-left':
      return end('failed', [{ type: 'ringback', on: false }, { type: 'end-agent' }, { type: 'tell-caller', reason: 'failed' }], "the other party's media ended before the call was bridged");
    case 'agent-status': {
      const status = event.status;
      switch (status.state) {
        case 'ringing':
          return state === 'dialing' ? { state: 'ringing', effects: [] } : undefined;
        case 'answered':
          return state === 'connecting' ? undefined : { state: 'connecting', effects: [] };
        case 'ended':
          return agentEnded(status.reason);
        default:
          return undefined;
      }
    }
    default:
      return undefined;
  }
}

/** The other party's leg ended before the call was bridged: the caller hears why. */
function agentEnded(reason: LegEndReason, detail = ''): Transition {
  const effects: CallEffect[] = [{ type: 'ringback', on: false }];
  if (reason === 'busy' || reason === 'no-answer') {
    return end(reason, [...effects, { type: 'tell-caller', reason }], `the other party's line: ${reason}${detail}`);
  }
  return end('failed', [...effects, { type: 'tell-caller', reason: 'failed' }], `the other party's leg ended (${reason}) before it was connected${detail}`);
}

/**
 * The state's deadline passed. A caller whose leg is over ends the call as their hanging up would;
 * an other party whose leg is over, as its status would; whatever is still up (or could not be
 * asked about) is hung up, the caller hearing that the call could not be connected.
 */
function atDeadline(state: Exclude<CallState, 'ended'>, event: Extract<CallTrigger, { type: 'deadline' }>): Transition {
  const waited = `${state} for ${Math.round(event.waitedMs / 1000)} s`;
  const caller = event.caller;
  if (caller.state === 'ended' || caller.state === 'gone') {
    const found = caller.state === 'gone' ? 'unknown to the phone network' : caller.reason;
    const effects: CallEffect[] = state === 'answered' ? [] : [{ type: 'ringback', on: false }, { type: 'end-agent' }];
    return end(state === 'bridged' ? 'completed' : 'canceled', effects, `${waited}: the caller's leg had ended (${found}) unreported`);
  }
  const agent = event.agent;
  if (state !== 'answered' && state !== 'bridged' && agent && (agent.state === 'ended' || agent.state === 'gone')) {
    return agentEnded(agent.state === 'gone' ? 'failed' : agent.reason, ` (found after ${waited})`);
  }
  const asked = caller.state === 'unknown' ? 'the phone network could not be asked' : `the caller's leg is ${caller.state}`;
  const missing = state === 'answered' ? "the caller's media never connected" : state === 'connecting' ? "the other party's media never connected" : 'the other party was neither connected nor given up';
  return end(
    'timeout',
    [{ type: 'ringback', on: false }, { type: 'end-agent' }, { type: 'tell-caller', reason: 'failed' }],
    `${waited}: ${missing}; ${asked}: hung up`,
  );
}

/**
 * A call tolk places (POST /api/calls) first calls its customer; once they answer, the call goes on
 * from `answered` above, the customer in the caller's place (they hear the greeting, then ringback
 * while the other party is dialled):
 *
 *   scheduled --due--> calling --customer answers--> answered
 *   calling --busy|no-answer|failed--> scheduled (a retry is left: due retryAfterSec later) | ended
 *   scheduled --cancelled--> ended (canceled)
 *
 * `scheduled` waits on tolk's own job queue: an attempt that starts more than `stepMs` after it
 * was due (tolk was not running, or no instance could take a new call) is not placed any more but
 * ends as `timeout`. `calling` waits on
 * the network: the customer's ring timeout plus `stepMs`.
 */
export type OutboundState = 'scheduled' | 'calling';

/** Ms an outbound call may wait in `state` (scheduled: past the time it was due). */
export function outboundDeadlineOf(state: OutboundState, limits: StateLimits): number {
  return state === 'scheduled' ? limits.stepMs : limits.ringTimeoutMs + limits.stepMs;
}

export type OutboundTrigger =
  | { type: 'customer-status'; status: LegStatus }
  | { type: 'customer-answered' }
  | { type: 'dial-failed' }
  | { type: 'operator-hangup' }
  | { type: 'shutdown' }
  /** The deadline of `calling` passed; the customer's leg as the network reported it. */
  | { type: 'deadline'; waitedMs: number; customer: LegFinding };

export type OutboundEffect =
  /** The interpreted call takes over from `answered`. */
  | { type: 'hand-over' }
  /** Hang up the customer's leg (or cancel it while it rings). */
  | { type: 'end-customer' }
  /** Another attempt is due `retryAfterSec` from now. */
  | { type: 'retry' };

export interface OutboundTransition {
  state: 'answered' | 'scheduled' | 'ended';
  effects: OutboundEffect[];
  outcome?: CallOutcome;
  reason?: string;
}

/**
 * What follows `event` while tolk calls the customer; `retryLeft`: the call asked for another
 * attempt after this one fails. Undefined: the event changes nothing.
 */
export function nextOutboundState(event: OutboundTrigger, retryLeft: boolean): OutboundTransition | undefined {
  const fail = (outcome: CallOutcome, reason: string): OutboundTransition =>
    retryLeft ? { state: 'scheduled', effects: [{ type: 'retry' }], outcome, reason } : { state: 'ended', effects: [], outcome, reason };
  switch (event.type) {
    case 'customer-answered':
      return { state: 'answered', effects: [{ type: 'hand-over' }] };
    case 'dial-failed':
      return fail('failed', 'the customer could not be dialled');
    case 'operator-hangup':
      return { state: 'ended', effects: [{ type: 'end-customer' }], outcome: 'hungup_by_operator', reason: 'an operator hung up' };
    case 'shutdown':
      return { state: 'ended', effects: [{ type: 'end-customer' }], outcome: 'error', reason: 'tolk shut down' };
    case 'customer-status':
      return event.status.state === 'ended' ? customerEnded(event.status.reason, '', fail) : undefined;
    case 'deadline': {
      const waited = `calling for ${Math.round(event.waitedMs / 1000)} s`;
      const found = event.customer;
      if (found.state === 'ended') return customerEnded(found.reason, ` (found after ${waited})`, fail);
      if (found.state === 'gone') return fail('failed', `${waited}: the customer's leg is unknown to the phone network`);
      const asked = found.state === 'unknown' ? 'the phone network could not be asked' : `the customer's leg is ${found.state}`;
      return { state: 'ended', effects: [{ type: 'end-customer' }], outcome: 'timeout', reason: `${waited}: the customer was neither connected nor given up; ${asked}: hung up` };
    }
  }
}

/** The customer's leg ended before they were connected. */
function customerEnded(reason: LegEndReason, detail: string, fail: (outcome: CallOutcome, reason: string) => OutboundTransition): OutboundTransition {
  if (reason === 'busy' || reason === 'no-answer') return fail(reason, `the customer's line: ${reason}${detail}`);
  return fail('failed', `the customer's leg ended (${reason}) before they were connected${detail}`);
}
