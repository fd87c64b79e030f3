import { deadlineOf, nextOutboundState, nextState, outboundDeadlineOf, type CallTrigger, type CallState, type LegFinding } from '../../src/call/call-state';

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

  it.each(['answered', 'dialing', 'ringing', 'connecting', 'bridged'] as const)('ends the call from %s as failed when tolk fails: both legs hung up, outcome error, the reason given', (state) => {
    expect(nextState(state, { type: 'failure', reason: "tolk failed: the call's audio processing threw" })).toEqual({
      state: 'ended',
      outcome: 'error',
      reason: "tolk failed: the call's audio processing threw",
      effects: [{ type: 'ringback', on: false }, { type: 'end-agent' }, { type: 'end-caller' }, { type: 'release' }],
    });
  });

  it('a failure after the call ended changes nothing', () => {
    expect(nextState('ended', { type: 'failure', reason: 'x' })).toBeUndefined();
  });

  describe('deadlines', () => {
    const limits = { stepMs: 60_000, ringTimeoutMs: 30_000 };

    it('gives every state that waits on the outside world a deadline', () => {
      expect(deadlineOf('answered', limits)).toBe(60_000);
      expect(deadlineOf('dialing', limits)).toBe(90_000);
      expect(deadlineOf('ringing', limits)).toBe(90_000);
      expect(deadlineOf('connecting', limits)).toBe(60_000);
      // A bridged call waits on its media connections, which end when their media stops.
      expect(deadlineOf('bridged', limits)).toBeUndefined();
      expect(deadlineOf('ended', limits)).toBeUndefined();
    });

    const up: LegFinding = { state: 'answered' };
    const at = (state: CallState, caller: LegFinding, agent?: LegFinding) => {
      const t = nextState(state, { type: 'deadline', waitedMs: 60_000, caller, ...(agent ? { agent } : {}) });
      return { outcome: t?.outcome, reason: t?.reason, state: t?.state, effects: t?.effects.map((fx) => (fx.type === 'tell-caller' ? `tell:${fx.reason}` : fx.type === 'ringback' ? `ringback:${fx.on}` : fx.type)) };
    };

    it('ends a call whose caller left unreported as their hanging up would, in every state', () => {
      expect(at('answered', { state: 'ended', reason: 'completed' })).toEqual({
        state: 'ended',
        outcome: 'canceled',
        reason: "answered for 60 s: the caller's leg had ended (completed) unreported",
        effects: ['release'],
      });
      expect(at('ringing', { state: 'gone' }, { state: 'ringing' })).toMatchObject({ outcome: 'canceled', effects: ['ringback:false', 'end-agent', 'release'] });
      expect(at('bridged', { state: 'ended', reason: 'completed' }, up)).toMatchObject({ outcome: 'completed' });
    });

    it("ends a call whose other party's line ended unreported as its status would, the caller hearing why", () => {
      expect(at('ringing', up, { state: 'ended', reason: 'no-answer' })).toEqual({
        state: 'ended',
        outcome: 'no-answer',
        reason: "the other party's line: no-answer (found after ringing for 60 s)",
        effects: ['ringback:false', 'tell:no-answer', 'release'],
      });
      expect(at('connecting', up, { state: 'gone' })).toMatchObject({ outcome: 'failed', effects: ['ringback:false', 'tell:failed', 'release'] });
    });

    it('hangs up what is still up (or cannot be asked about), telling the caller, and says what was missing', () => {
      for (const [state, missing] of [
        ['answered', "the caller's media never connected"],
        ['dialing', 'the other party was neither connected nor given up'],
        ['ringing', 'the other party was neither connected nor given up'],
        ['connecting', "the other party's media never connected"],
      ] as const) {
        expect(at(state, up, { state: 'ringing' })).toEqual({
          state: 'ended',
          outcome: 'timeout',
          reason: `${state} for 60 s: ${missing}; the caller's leg is answered: hung up`,
          effects: ['ringback:false', 'end-agent', 'tell:failed', 'release'],
        });
      }
      expect(at('answered', { state: 'unknown' }).reason).toBe("answered for 60 s: the caller's media never connected; the phone network could not be asked: hung up");
    });

    it('says why every call ended', () => {
      expect(nextState('bridged', { type: 'caller-left' })?.reason).toBe('the caller hung up');
      expect(nextState('bridged', { type: 'agent-left' })?.reason).toBe('the other party hung up');
      // A stream tolk closed because its media was lost is not a party hanging up: what is still up is hung up.
      expect(nextState('bridged', { type: 'agent-left', mediaLost: 'no media from Twilio for 10 s' })).toEqual({
        state: 'ended',
        outcome: 'media_lost',
        reason: "the other party's media was lost (no media from Twilio for 10 s): tolk closed the stream and ended the call",
        effects: [{ type: 'ringback', on: false }, { type: 'end-agent' }, { type: 'end-caller' }, { type: 'release' }],
      });
      expect(nextState('ringing', { type: 'agent-status', status: { state: 'ended', reason: 'busy' } })?.reason).toBe("the other party's line: busy");
      expect(nextState('dialing', { type: 'dial-failed' })?.reason).toBe('the other party could not be dialled');
      expect(nextState('bridged', { type: 'shutdown' })?.reason).toBe('tolk shut down');
      expect(nextState('bridged', { type: 'shutdown', drained: true })).toMatchObject({ outcome: 'interrupted', reason: 'tolk shut down: the call outlasted its drain timeout' });
    });
  });
});

describe('calling the customer of a call tolk places', () => {
  const ended = (reason: 'busy' | 'no-answer' | 'failed' | 'canceled' | 'completed') => ({ type: 'customer-status' as const, status: { state: 'ended' as const, reason } });

  it('hands over to the interpreted call when the customer answers', () => {
    expect(nextOutboundState({ type: 'customer-answered' }, false)).toEqual({ state: 'answered', effects: [{ type: 'hand-over' }] });
    expect(nextOutboundState({ type: 'customer-status', status: { state: 'ringing' } }, false)).toBeUndefined();
  });

  it.each(['busy', 'no-answer'] as const)('%s is the outcome, or another attempt when one is left', (reason) => {
    expect(nextOutboundState(ended(reason), false)).toMatchObject({ state: 'ended', effects: [], outcome: reason });
    expect(nextOutboundState(ended(reason), true)).toMatchObject({ state: 'scheduled', effects: [{ type: 'retry' }] });
  });

  it('a leg that failed or could not be placed is a failure; the operator and a shutdown hang it up', () => {
    expect(nextOutboundState(ended('failed'), false)).toMatchObject({ state: 'ended', outcome: 'failed' });
    expect(nextOutboundState({ type: 'dial-failed' }, true)).toMatchObject({ state: 'scheduled', effects: [{ type: 'retry' }] });
    expect(nextOutboundState({ type: 'operator-hangup' }, true)).toMatchObject({ state: 'ended', effects: [{ type: 'end-customer' }], outcome: 'hungup_by_operator' });
    expect(nextOutboundState({ type: 'shutdown' }, true)).toMatchObject({ state: 'ended', effects: [{ type: 'end-customer' }], outcome: 'error' });
  });

  it('at its deadline, a leg still ringing is hung up as a timeout; one that ended unreported ends the call as its status would', () => {
    expect(nextOutboundState({ type: 'deadline', waitedMs: 90_000, customer: { state: 'ringing' } }, true)).toMatchObject({
      state: 'ended',
      effects: [{ type: 'end-customer' }],
      outcome: 'timeout',
      reason: "calling for 90 s: the customer was neither connected nor given up; the customer's leg is ringing: hung up",
    });
    expect(nextOutboundState({ type: 'deadline', waitedMs: 90_000, customer: { state: 'ended', reason: 'busy' } }, false)).toMatchObject({ state: 'ended', outcome: 'busy' });
    expect(nextOutboundState({ type: 'deadline', waitedMs: 90_000, customer: { state: 'gone' } }, false)).toMatchObject({ state: 'ended', outcome: 'failed' });
  });

  it('waits its ring timeout and a step when calling, and a step past its time when scheduled', () => {
    expect(outboundDeadlineOf('calling', { stepMs: 60_000, ringTimeoutMs: 30_000 })).toBe(90_000);
    expect(outboundDeadlineOf('scheduled', { stepMs: 60_000, ringTimeoutMs: 30_000 })).toBe(60_000);
  });
});
