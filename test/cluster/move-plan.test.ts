/** Which of a stopping instance's calls move where, and the rule of handing a call over in the directory. */
import { nextPeer, planMoves } from '../../src/cluster/move-plan';
import { handOverDecision } from '../../src/cluster/ownership-cas';

describe('the move plan', () => {
  it('spreads the movable calls over the ready instances, fewest calls first, and keeps the others here', () => {
    const plan = planMoves(
      [
        { id: 'c1', movable: true },
        { id: 'c2', movable: false },
        { id: 'c3', movable: true },
        { id: 'c4', movable: true },
      ],
      [{ id: 'b', calls: 1 }, { id: 'c' }],
    );
    expect(plan).toEqual({
      moves: [
        { callId: 'c1', to: 'c' },
        { callId: 'c3', to: 'b' },
        { callId: 'c4', to: 'c' },
      ],
      stay: ['c2'],
    });
  });

  it('keeps every call here when no other instance is ready', () => {
    expect(planMoves([{ id: 'c1', movable: true }], [])).toEqual({ moves: [], stay: ['c1'] });
  });

  it('offers a call another instance refused to the next one, then to none', () => {
    const peers = [{ id: 'b' }, { id: 'c' }, { id: 'd', calls: 3 }];
    expect(nextPeer(peers, new Set(['b']))).toBe('c');
    expect(nextPeer(peers, new Set(['b', 'c']))).toBe('d');
    expect(nextPeer(peers, new Set(['b', 'c', 'd']))).toBeUndefined();
  });
});

describe('handing a call over', () => {
  it('happens only while the instance giving it up serves it (or the taker already does)', () => {
    expect(handOverDecision('a', 'a', 'b')).toEqual({ ok: true });
    expect(handOverDecision('b', 'a', 'b')).toEqual({ ok: true });
    expect(handOverDecision('c', 'a', 'b')).toEqual({ ok: false, holder: 'c' });
    expect(handOverDecision(null, 'a', 'b')).toEqual({ ok: false, holder: null });
  });
});
