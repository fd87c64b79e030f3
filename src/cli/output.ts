/**
 * How the CLI shows things: aligned tables and key/value blocks for people, the API's JSON for
 * scripts (`--json`). Pure string builders; the caller decides where the text goes.
 */
import type { NumberSettings } from '../config/numbers';
import type { FieldProblem } from '../config/numbers-schema';
import { listedLanguages, partiesText, spokenLanguages } from '../shared/call-languages';
import { statusLabel } from '../shared/call-status';
import { listedTimeText, startTimes, talkText } from '../shared/call-times';
import { interpretationStatus } from '../shared/interpretation-failure';
import { languageMenuText } from '../shared/language-menu';
import { speakerLabel } from '../shared/speaker-label';
import type { CallJson, CallWithTranscriptJson } from './api-client';
import { CliError } from './errors';

export interface Output {
  json: boolean;
  out(text: string): void;
  err(text: string): void;
}

export function printJson(o: Output, value: unknown): void {
  o.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd()).join('\n') + '\n';
}

function block(pairs: [string, string | undefined][]): string {
  const shown = pairs.filter((p): p is [string, string] => p[1] !== undefined);
  const width = Math.max(...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}

function callerLanguageText(s: NumberSettings): string {
  return s.callerLanguage === 'auto' && s.defaultLanguage ? `auto (default ${s.defaultLanguage})` : s.callerLanguage;
}

export function numbersTable(numbers: NumberSettings[]): string {
  if (numbers.length === 0) return 'No numbers configured. Add one with: tolk numbers set NUMBER --destination ... --caller-language ... --agent-language ...\n';
  return table(
    ['NUMBER', 'DESTINATION', 'CALLER', 'AGENT', 'MENU'],
    numbers.map((s) => [s.number, s.destination, callerLanguageText(s), s.agentLanguage, languageMenuText(s, ',') ?? '-']),
  );
}

export function numberBlock(s: NumberSettings): string {
  return block([
    ['Number', s.number],
    ['Destination', s.destination],
    ['Caller language', callerLanguageText(s)],
    ['Agent language', s.agentLanguage],
    ['Language menu', languageMenuText(s)],
    ['Remember language', s.rememberLanguage === undefined ? undefined : s.rememberLanguage ? 'yes' : 'no'],
    ['Echo target language', s.echoTargetLanguage ? 'yes' : 'no'],
    ['Original volume', String(s.originalVolume)],
    ['Greeting', s.greeting],
    ['Mode', s.mode ?? 'direct'],
    ['Interpretation', (s.mode ?? 'direct') === 'conference' ? (s.interpretation ?? 'whisper') : s.interpretation],
    ['Webhook URL', s.webhookUrl],
  ]);
}

const FLAG_OF: Record<string, string> = {
  destination: '--destination',
  callerLanguage: '--caller-language',
  agentLanguage: '--agent-language',
  defaultLanguage: '--default-language',
  languageMenu: '--language-menu',
  rememberLanguage: '--remember-language',
  echoTargetLanguage: '--echo-target-language',
  originalVolume: '--original-volume',
  greeting: '--greeting',
  mode: '--mode',
  interpretation: '--interpretation',
  webhookUrl: '--webhook-url',
  at: '--at',
  retries: '--retries',
  retryAfterSec: '--retry-after',
};

/** `  - callerLanguage: unknown ...`; with `flags`, settings are named by their CLI option. */
/**
 * The request's answer; a refusal that names problems is thrown again with one line per problem in
 * its message (`flags`: each field named by its command-line option, see problemLines).
 */
export async function withProblemLines<T>(request: Promise<T>, flags = false): Promise<T> {
  try {
    return await request;
  } catch (err) {
    if (err instanceof CliError && err.problems.length > 0) {
      throw new CliError(`${err.message}:\n${problemLines(err.problems, flags).trimEnd()}`, err.exitCode, err.problems, err.status);
    }
    throw err;
  }
}

export function problemLines(problems: FieldProblem[], flags = false): string {
  return problems
    .map((p) => {
      const field = p.path.join('.');
      const name = flags && FLAG_OF[field] ? `${FLAG_OF[field]} (${field})` : field;
      return `  - ${name ? `${name}: ` : ''}${p.message}\n`;
    })
    .join('');
}

/** An ISO 8601 time as the CLI shows it: `2025-01-31 10:30:00Z`. */
export function shownTime(iso: string | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, 'Z') : '-';
}

/** A duration as `m:ss`. */
function minutes(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** How long the call talked, as the console's History says it: the API's `durationMs` as `m:ss`, `in progress`, `not answered` or `not started`. */
function talkTime(c: CallJson): string {
  return talkText(c, minutes);
}

export function callsTable(calls: CallJson[]): string {
  if (calls.length === 0) return 'No calls.\n';
  return table(
    ['ID', 'STARTED', 'NUMBER', 'FROM', 'LANGUAGES', 'OUTCOME', 'TALK'],
    calls.map((c) => [c.id, listedTimeText(c, shownTime), c.number || '-', c.from || '-', languagesText(c), statusLabel(c), talkTime(c)]),
  );
}

/** A direct call's pair of languages as spoken; a conference's languages, as its parties speak them (`-` while none is known). */
function languagesText(c: CallJson): string {
  const languages = listedLanguages(c);
  if (c.kind !== 'conference') return languages.join('<>');
  return languages.length > 0 ? languages.join(',') : '-';
}

/** A direct call's languages as spoken, each with the one configured where the call went another way. */
function languagesDetail(c: CallJson): string {
  const spoken = spokenLanguages(c);
  const one = (role: 'caller' | 'agent'): string => `${role} ${spoken[role]}${spoken[role] !== c.languages[role] ? ` (configured ${c.languages[role]})` : ''}`;
  return `${one('caller')}, ${one('agent')}`;
}

/** A delay of about a second, to a tenth of one: `1.2 s`. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}.${Math.floor((ms % 1000) / 100)}`;
}


/**
 * What ending a call in progress did, in one line: a direct call's parties are hung up; a conference
 * tolk created ends for everyone in it; one tolk joined (no tolk number) goes on without tolk.
 */
export function hungUpText(c: CallJson): string {
  const outcome = c.outcome ?? 'hungup_by_operator';
  if (c.kind !== 'conference') return `Call ${c.id} ended: both parties hung up (${outcome}).\n`;
  const conference = c.conference ?? 'its conference';
  if (!c.number) return `Call ${c.id} ended: tolk left conference ${conference}, which goes on without interpretation (${outcome}).\n`;
  return `Call ${c.id} ended: conference ${conference} ended, and everyone in it was hung up (${outcome}).\n`;
}

export function callDetail(c: CallWithTranscriptJson): string {
  const conference = c.kind === 'conference';
  const head = block([
    ['Call', c.id],
    ['Conference', c.conference],
    ['Number', c.number || undefined],
    ['From', c.from || undefined],
    ['Destination', c.destination || undefined],
    conference ? ['Parties', partiesText(c.legs)] : ['Languages', languagesDetail(c)],
    ['State', c.state],
    ['Instance', c.instance],
    ['Moved', c.moves?.map((m) => `${m.from} -> ${m.to} at ${shownTime(m.at)}`).join('; ') || undefined],
    ['Placed', c.outbound && `by tolk, calling the customer ${c.outbound.at ? `at ${shownTime(c.outbound.at)}` : 'at once'}; attempt ${c.outbound.attempts} of ${c.outbound.retries + 1}`],
    ['Outcome', c.outcome && (c.endReason ? `${c.outcome}: ${c.endReason}` : c.outcome)],
    ['Interpretation', interpretationStatus(c)],
    ...startTimes(c).map((t): [string, string] => [t.label, shownTime(t.at)]),
    ['Answered', c.answeredAt && shownTime(c.answeredAt)],
    ['Ended', c.endedAt && shownTime(c.endedAt)],
    ['Talk', talkTime(c)],
  ]);
  const lines = c.transcript.map(
    (u) =>
      `[${clock(u.startMs)}] ${speakerLabel(u)} (${u.source.languageCode}): ${u.source.text}\n${' '.repeat(10)}-> ${u.translation.languageCode}: ${u.translation.text}${u.lagMs === undefined ? '' : `  (heard ${seconds(u.lagMs)} behind)`}\n`,
  );
  const dropped = c.droppedUtterances > 0 ? `(${c.droppedUtterances} later utterances were not kept)\n` : '';
  const none = c.endedAt ? ': none' : ': none yet';
  return `${head}\nTranscript${c.transcript.length === 0 ? none : ''}\n${lines.join('')}${dropped}`;
}
