/** Which of the TOLK_PROCESSES processes the supervisor hands a new connection. */
import { chooseProcess } from '../../src/cluster/processes';

const proc = (index: number, ready: boolean, stopping: boolean, closed = false, calls = 0) => ({ index, id: `box-${index}`, ready, stopping, closed, calls });

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
    // webhooks of calls served elsewhere, the API's kept-alive connections).
    for (const between of [0, 1, 2, 3, 5]) {
      const children = [proc(1, true, false), proc(2, true, false)];
      let turn = 0;
      for (let call = 0; call < 6; call++) {
        const chosen = chooseProcess(children, turn++)!;
        // The process that answered the voice webhook serves the call, and says so.
        chosen.calls++;
        for (let i = 0; i < between; i++) chooseProcess(children, turn++);
      }
      expect(children.map((c) => c.calls)).toEqual([3, 3]);
    }
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
