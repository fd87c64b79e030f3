/** Which of the TOLK_PROCESSES processes the supervisor hands a new connection. */
import { chooseProcess, handTo, heardLoad } from '../../src/cluster/processes';

const proc = (index: number, ready: boolean, stopping: boolean, closed = false, calls = 0) => ({ index, id: `box-${index}`, ready, stopping, closed, calls, handed: 0, answered: 0 });
type Proc = ReturnType<typeof proc>;

/**
 * The processes as the supervisor sees them: connections are handed over at once, each process
 * answers them and says so (`tolk:calls`) only when `answerAll` is called, as when a burst of
 * connections comes within one webhook's answer.
 */
function cluster(children: Proc[]) {
  let turn = 0;
  /** By process: the calls it serves, and the connections it was handed and has not answered (true: a voice webhook). */
  const serving = new Map(children.map((c) => [c, { calls: c.calls, answered: 0, waiting: [] as boolean[] }]));
  return {
    /** Hands a connection over; `call`: it is a caller's voice webhook. */
    connect(call: boolean): Proc {
      const { child } = handTo(children, turn++)!;
      serving.get(child)!.waiting.push(call);
      return child;
    },
    /** Each process answers what it was handed, and tells the supervisor. */
    answerAll(): void {
      for (const [child, s] of serving) {
        for (const call of s.waiting.splice(0)) {
          if (call) s.calls++;
          s.answered++;
        }
        heardLoad(child, { calls: s.calls, answered: s.answered });
      }
    },
  };
}

describe('chooseProcess', () => {
  it('takes the processes up and not stopping in turn while they serve as many calls', () => {
    const children = [proc(1, true, false), proc(2, true, false), proc(3, false, false)];
    expect([0, 1, 2, 3].map((turn) => chooseProcess(children, turn)?.index)).toEqual([1, 2, 1, 2]);
  });

  it('takes the process serving the fewest live calls, in turn among those serving as few', () => {
    const children = [proc(1, true, false, false, 3), proc(2, true, false, false, 1), proc(3, true, false, false, 1), proc(4, true, true, false, 0)];
    expect([0, 1, 2, 3].map((turn) => chooseProcess(children, turn)?.index)).toEqual([2, 3, 2, 3]);
  });

  it('spreads new calls over the processes whatever number of other connections comes between them', () => {
    // Each call: its voice webhook, then connections that bring no call (its status callbacks,
    // webhooks of calls served elsewhere, the API's kept-alive connections), each answered before the next comes.
    for (const between of [0, 1, 2, 3, 5]) {
      const children = [proc(1, true, false), proc(2, true, false)];
      const c = cluster(children);
      for (let call = 0; call < 6; call++) {
        c.connect(true);
        c.answerAll();
        for (let i = 0; i < between; i++) {
          c.connect(false);
          c.answerAll();
        }
      }
      expect(children.map((p) => p.calls)).toEqual([3, 3]);
    }
  });

  it('spreads a burst of callers that come before any process has answered', () => {
    // Calls per process [10, 10, 10, 9]; eight voice webhooks within one webhook's answer.
    const children = [1, 2, 3, 4].map((i) => proc(i, true, false, false, i === 4 ? 9 : 10));
    const c = cluster(children);
    const chosen = Array.from({ length: 8 }, () => c.connect(true).index);
    expect(chosen.filter((i) => i === 4).length).toBeLessThanOrEqual(3);
    c.answerAll();
    expect(children.map((p) => p.calls).sort()).toEqual([12, 12, 12, 11].sort());
    // Answered and said so: they weigh no more than their calls.
    expect(children.map((p) => p.handed - p.answered)).toEqual([0, 0, 0, 0]);

    // Connections that bring no call, in a burst, weigh as much until answered, then nothing.
    for (let i = 0; i < 4; i++) c.connect(false);
    c.answerAll();
    expect(c.connect(true).calls).toBe(11);
  });

  it('takes a report that makes no sense as nothing', () => {
    const p = proc(1, true, false, false, 3);
    p.handed = 2;
    heardLoad(p, { calls: -1, answered: 1 });
    heardLoad(p, { calls: 1.5, answered: 1 });
    heardLoad(p, { calls: 2, answered: 'x' });
    expect(p).toMatchObject({ calls: 3, handed: 2, answered: 0 });
  });

  it('does not count a media stream against the process it names', () => {
    const children = [proc(1, true, false), proc(2, true, false)];
    expect(handTo(children, 0, 'box-1')).toMatchObject({ child: { index: 1 }, counted: false });
    expect(children[0].handed).toBe(0);
  });

  it('hands a stopping process nothing while another is up and not stopping', () => {
    const children = [proc(1, true, true), proc(2, true, false)];
    expect([0, 1, 2].map((turn) => chooseProcess(children, turn)?.index)).toEqual([2, 2, 2]);
  });

  it('hands connections to the stopping processes when every one up is stopping: they answer for what they still hold', () => {
    const children = [proc(1, true, true), proc(2, false, false), proc(3, true, true)];
    expect([0, 1].map((turn) => chooseProcess(children, turn)?.index)).toEqual([1, 3]);
  });

  it('has no process when none is up or every one has closed its server', () => {
    expect(chooseProcess([proc(1, false, true), proc(2, false, false)], 0)).toBeUndefined();
    expect(chooseProcess([proc(1, true, true, true), proc(2, true, true)], 0)?.index).toBe(2);
    expect(chooseProcess([proc(1, true, true, true)], 0)).toBeUndefined();
  });
});

describe('chooseProcess for a media stream (the process it names)', () => {
  it('takes the named process when it is up and not stopping, whatever the turn', () => {
    const children = [proc(1, true, false), proc(2, true, false)];
    expect([0, 1, 2, 3].map((turn) => chooseProcess(children, turn, 'box-2')?.index)).toEqual([2, 2, 2, 2]);
  });

  it('goes in turn when the named process is stopping while another is not, is not up, or is not one of them', () => {
    const children = [proc(1, true, true), proc(2, true, false), proc(3, false, false), proc(4, true, false)];
    expect([0, 1].map((turn) => chooseProcess(children, turn, 'box-1')?.index)).toEqual([2, 4]);
    expect([0, 1].map((turn) => chooseProcess(children, turn, 'box-3')?.index)).toEqual([2, 4]);
    expect([0, 1].map((turn) => chooseProcess(children, turn, 'elsewhere-1')?.index)).toEqual([2, 4]);
  });

  it('takes the named process when every one up is stopping: it would take its turn anyway', () => {
    const children = [proc(1, true, true), proc(2, true, true)];
    expect([0, 1].map((turn) => chooseProcess(children, turn, 'box-1')?.index)).toEqual([1, 1]);
    expect(chooseProcess([proc(1, true, true, true), proc(2, true, true)], 0, 'box-1')?.index).toBe(2);
  });
});
