/**
 * The interpreted call's state machine, as pure data: (state, event) -> (next state, effects).
 * The `InterpretedCall` runs the effects (dialling, tones, joining legs, hanging up); keeping the
 * decisions here makes every path of a call visible in one table and testable without I/O.
 *
 *   answered --caller stream--> dialing --ringing--> ringing --answered--> connecting
 *   connecting --agent stream--> bridged --either side hangs up--> ended
 *   dialing/ringing --busy|no-answer|failed--> ended (caller hears why)
 *   any state --operator hangs up--> ended (both legs hung up)
 */
import type { CallOutcome } from '../store/call-record';
import type { LegStatus } from './ports/telephony';

export type { CallOutcome };

export type CallState = 'answered' | 'dialing' | 'ringing' | 'connecting' | 'bridged' | 'ended';

export type CallTrigger =
  | { type: 'caller-stream-started' }
  | { type: 'caller-left' } // caller's stream stopped or their call completed
  | { type: 'agent-status'; status: LegStatus }
  | { type: 'agent-stream-started' }
  | { type: 'agent-left' } // agent's stream stopped
  | { type: 'dial-failed' }
  | { type: 'operator-hangup' }
  | { type: 'shutdown' };

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
}

const end = (outcome: CallOutcome, effects: CallEffect[]): Transition => ({
  state: 'ended',
  effects: [...effects, { type: 'release' }],
  outcome,
});

/** Returns the transition for `event` in `state`, or undefined when the event changes nothing. */
export function nextState(state: CallState, event: CallTrigger): Transition | undefined {
  if (state === 'ended') return undefined;
  if (event.type === 'shutdown') return end('error', [{ type: 'end-agent' }, { type: 'end-caller' }]);
  if (event.type === 'operator-hangup') return end('hungup_by_operator', [{ type: 'ringback', on: false }, { type: 'end-agent' }, { type: 'end-caller' }]);

  switch (state) {
    case 'answered':
      if (event.type === 'caller-stream-started') return { state: 'dialing', effects: [{ type: 'ringback', on: true }, { type: 'dial-agent' }] };
      if (event.type === 'caller-left') return end('canceled', []);
      return undefined;

    case 'dialing':
    case 'ringing':
    case 'connecting':
      return beforeBridge(state, event);

    case 'bridged':
      if (event.type === 'caller-left') return end('completed', [{ type: 'end-agent' }]);
      if (event.type === 'agent-left') return end('completed', [{ type: 'end-caller' }]);
      if (event.type === 'agent-status' && event.status.state === 'ended') return end('completed', [{ type: 'end-caller' }]);
      return undefined;
  }
}

function beforeBridge(state: 'dialing' | 'ringing' | 'connecting', event: CallTrigger): Transition | undefined {
  switch (event.type) {
    case 'caller-left':
      return end('canceled', [{ type: 'end-agent' }]);
    case 'dial-failed':
      return end('failed', [{ type: 'ringback', on: false }, { type: 'tell-caller', reason: 'failed' }]);
    case 'agent-stream-started':
      return { state: 'bridged', effects: [{ type: 'ringback', on: false }, { type: 'join-legs' }] };
    case 'agent-left':
      return end('failed', [{ type: 'ringback', on: false }, { type: 'end-agent' }, { type: 'tell-caller', reason: 'failed' }]);
    case 'agent-status': {
      const status = event.status;
      switch (status.state) {
        case 'ringing':
          return state === 'dialing' ? { state: 'ringing', effects: [] } : undefined;
        case 'answered':
          return state === 'connecting' ? undefined : { state: 'connecting', effects: [] };
        case 'ended':
          if (status.reason === 'busy' || status.reason === 'no-answer') {
            return end(status.reason, [{ type: 'ringback', on: false }, { type: 'tell-caller', reason: status.reason }]);
          }
          return end('failed', [{ type: 'ringback', on: false }, { type: 'tell-caller', reason: 'failed' }]);
        default:
          return undefined;
      }
    }
    default:
      return undefined;
  }
}
