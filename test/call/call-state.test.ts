import { nextState, type CallTrigger, type CallState } from '../../src/call/call-state';

function run(events: CallTrigger[], from: CallState = 'answered'): { state: CallState; effects: string[]; outcome?: string } {
  let state = from;
  const effects: string[] = [];
  let outcome: string | undefined;
  for (const e of events) {
    const t = nextState(state, e);
    if (!t) continue;
    state = t.state;
    outcome = t.outcome ?? outcome;
    for (const fx of t.effects) effects.push(fx.type === 'ringback' ? `ringback:${fx.on}` : fx.type === 'tell-caller' ? `tell:${fx.reason}` : fx.type);
  }
  return { state, effects, outcome };
}

describe('call state machine', () => {
  it.each(['answered', 'dialing', 'ringing', 'connecting', 'bridged'] as const)('ends the call from %s when the operator hangs up: both legs, outcome hungup_by_operator', (state) => {
    const r = run([{ type: 'operator-hangup' }], state);
    expect(r.state).toBe('ended');
    expect(r.outcome).toBe('hungup_by_operator');
    expect(r.effects).toEqual(['ringback:false', 'end-agent', 'end-caller', 'release']);
    expect(nextState('ended', { type: 'operator-hangup' })).toBeUndefined();
  });

  it('dials when the caller stream starts and joins the legs when the agent stream starts', () => {
    const r = run([
      { type: 'caller-stream-started' },
      { type: 'agent-status', status: { state: 'dialing' } },
      { type: 'agent-status', status: { state: 'ringing' } },
      { type: 'agent-status', status: { state: 'answered' } },
      { type: 'agent-stream-started' },
    ]);
    expect(r.state).toBe('bridged');
    expect(r.effects).toEqual(['ringback:true', 'dial-agent', 'ringback:false', 'join-legs']);
  });

  const hangUps: [string, CallTrigger, string][] = [
    ['caller', { type: 'caller-left' }, 'end-agent'],
    ['agent', { type: 'agent-left' }, 'end-caller'],
  ];
  it.each(hangUps)('ends the other leg when the %s hangs up', (_who, event, effect) => {
    const r = run([event], 'bridged');
    expect(r).toEqual({ state: 'ended', effects: [effect, 'release'], outcome: 'completed' });
  });

  it.each(['busy', 'no-answer'] as const)('tells the caller why when the agent is %s', (status) => {
    const r = run([{ type: 'caller-stream-started' }, { type: 'agent-status', status: { state: 'ended', reason: status } }]);
    expect(r.outcome).toBe(status);
    expect(r.effects.slice(-3)).toEqual(['ringback:false', `tell:${status}`, 'release']);
  });

  it('reports a failed dial to the caller', () => {
    const r = run([{ type: 'caller-stream-started' }, { type: 'dial-failed' }]);
    expect(r.outcome).toBe('failed');
    expect(r.effects).toContain('tell:failed');
  });

  it('cancels the ringing agent when the caller hangs up first', () => {
    const r = run([{ type: 'caller-stream-started' }, { type: 'agent-status', status: { state: 'ringing' } }, { type: 'caller-left' }]);
    expect(r.outcome).toBe('canceled');
    expect(r.effects.slice(-2)).toEqual(['end-agent', 'release']);
  });

  it('ignores events after the call ended and duplicate status callbacks', () => {
    expect(nextState('ended', { type: 'caller-left' })).toBeUndefined();
    expect(nextState('ringing', { type: 'agent-status', status: { state: 'ringing' } })).toBeUndefined();
    expect(nextState('connecting', { type: 'agent-status', status: { state: 'answered' } })).toBeUndefined();
    expect(nextState('bridged', { type: 'agent-stream-started' })).toBeUndefined();
  });

  it('ends every call on shutdown', () => {
    for (const s of ['answered', 'dialing', 'ringing', 'connecting', 'bridged'] as const) {
      expect(nextState(s, { type: 'shutdown' })?.outcome).toBe('error');
    }
  });
});
