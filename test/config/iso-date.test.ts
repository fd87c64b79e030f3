import { ISO_DATE_FORM, isoDateProblem, readIsoDate } from '../../src/config/iso-date';
import { parseCallListQuery } from '../../src/http/admin/call-query';
import { parseOutboundRequest } from '../../src/outbound/request';
import { parseEraseRequest } from '../../src/retention/erase-request';

/** The message a field gets for `v`, as the API's callers word it; undefined when it names an instant. */
function problemOf(v: string): string | undefined {
  const r = readIsoDate(v);
  return r.ok ? undefined : isoDateProblem(r, `'${v}'`, ISO_DATE_FORM);
}

describe('readIsoDate', () => {
  it.each([
    ['2025-01-31', '2025-01-31T00:00:00.000Z'],
    ['2025-01-31T10:30Z', '2025-01-31T10:30:00.000Z'],
    ['2025-01-31T10:30:15.1234Z', '2025-01-31T10:30:15.123Z'],
    ['2025-01-31T10:30:00+01:00', '2025-01-31T09:30:00.000Z'],
    ['2025-01-31T00:30:00-02:30', '2025-01-31T03:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['2000-02-29', '2000-02-29T00:00:00.000Z'],
    ['0000-02-29', '0000-02-29T00:00:00.000Z'],
    ['0099-12-31T23:59:59Z', '0099-12-31T23:59:59.000Z'],
  ])('%s is %s', (v, iso) => {
    const r = readIsoDate(v);
    expect(r.ok && r.date.toISOString()).toBe(iso);
  });

  it.each([
    ['2026-02-30', 'there is no 2026-02-30: February 2026 has 28 days'],
    ['2024-02-30', 'there is no 2024-02-30: February 2024 has 29 days'],
    ['1900-02-29', 'there is no 1900-02-29: February 1900 has 28 days'],
    ['2025-04-31T10:00:00Z', 'there is no 2025-04-31: April 2025 has 30 days'],
    ['2025-01-00', 'there is no 2025-01-00: days of the month start at 01'],
    ['2025-13-01', 'there is no month 13 in 2025-13-01: months go from 01 to 12'],
    ['2025-00-10', 'there is no month 00 in 2025-00-10: months go from 01 to 12'],
    ['2025-01-31T24:00Z', 'there is no hour 24 in 2025-01-31T24:00Z: hours go from 00 to 23'],
    ['2025-01-31T10:60Z', 'there is no minute 60 in 2025-01-31T10:60Z: minutes go from 00 to 59'],
    ['2025-01-31T10:30:60Z', 'there is no second 60 in 2025-01-31T10:30:60Z: seconds go from 00 to 59'],
    ['2025-01-31T10:30+24:00', 'there is no zone offset +24:00: an offset is at most 23:59 from UTC'],
    ['2025-01-31T10:30-01:60', 'there is no zone offset -01:60: an offset is at most 23:59 from UTC'],
  ])('%s is well-formed but names no such day or time: %s', (v, message) => {
    expect(readIsoDate(v)).toEqual({ ok: false, problem: 'impossible', message });
    expect(problemOf(v)).toBe(message);
  });

  it.each(['yesterday', '31/01/2025', '2025-1-31', '2025-01-31T10:30', '2025-01-31 10:30Z', '2025-01-31T10:30:00+0100', '', ' 2025-01-31', '20250131'])(
    '%j is not an ISO 8601 date at all',
    (v) => {
      expect(readIsoDate(v)).toEqual({ ok: false, problem: 'malformed' });
      expect(problemOf(v)).toBe(`'${v}' is not an ISO 8601 date or date-time with a zone (2025-01-31 or 2025-01-31T09:00:00Z)`);
    },
  );
});

describe('where tolk reads a date, a day that does not exist is called that', () => {
  const now = new Date('2026-01-15T12:00:00Z');

  it('in a call list query (tolk calls list --from/--to)', () => {
    expect(parseCallListQuery({ from: '2026-02-30', to: 'soon' })).toEqual({
      ok: false,
      problems: [
        { path: ['from'], message: 'there is no 2026-02-30: February 2026 has 28 days' },
        { path: ['to'], message: `'soon' is not ${ISO_DATE_FORM}` },
      ],
    });
  });

  it('in an erasure (tolk calls erase --ended-before)', () => {
    expect(parseEraseRequest({ endedBefore: '2025-11-31' }, now)).toEqual({ ok: false, problems: [{ path: ['endedBefore'], message: 'there is no 2025-11-31: November 2025 has 30 days' }] });
    expect(parseEraseRequest({ endedBefore: 'last week' }, now)).toEqual({ ok: false, problems: [{ path: ['endedBefore'], message: `'last week' is not ${ISO_DATE_FORM}` }] });
  });

  it('in a call placed at a time (tolk calls place --at), which also wants a time of day', () => {
    const at = (v: string) => {
      const r = parseOutboundRequest({ line: '+15550001111', to: '+34600000000', at: v }, now);
      return r.ok ? r.value.at?.toISOString() : r.problems;
    };
    expect(at('2026-02-30T10:00:00Z')).toEqual([{ path: ['at'], message: 'there is no 2026-02-30: February 2026 has 28 days' }]);
    expect(at('2026-02-01T25:00:00Z')).toEqual([{ path: ['at'], message: 'there is no hour 25 in 2026-02-01T25:00:00Z: hours go from 00 to 23' }]);
    const form = 'an ISO 8601 date-time with a zone (e.g. 2025-01-31T10:30:00Z or 2025-01-31T10:30:00+01:00)';
    expect(at('2026-02-01')).toEqual([{ path: ['at'], message: `'2026-02-01' is not ${form}` }]);
    expect(at('2026-02-30')).toEqual([{ path: ['at'], message: `'2026-02-30' is not ${form}` }]);
    expect(at('tomorrow')).toEqual([{ path: ['at'], message: `'tomorrow' is not ${form}` }]);
    expect(at('2026-02-01T10:00:00+01:00')).toBe('2026-02-01T09:00:00.000Z');
  });
});
