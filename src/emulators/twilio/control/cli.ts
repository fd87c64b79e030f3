// `npm run emulator:twilio -- COMMAND ...`: drives a running Twilio emulator through its control
// API (place a call speaking a WAV, say more, press keys, hang up, list calls, save what each party
// heard, join a conference, set how a dialled number answers). Nothing here touches `process`:
// runControlCli gets its arguments, environment and output and returns the exit code
// (0 ok, 1 refused by the emulator, 2 usage, 3 unreachable).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import type { CallSnapshot, ConferenceSnapshot } from '../emulator';
import { DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN } from '../emulator';
import { toneVoice, toWav } from '../audio';
import { ControlClient, ControlRequestError } from './client';

export interface ControlIo {
  out(text: string): void;
  err(text: string): void;
}

export const CONTROL_COMMANDS = ['call', 'say', 'digits', 'hangup', 'calls', 'save', 'join', 'conferences', 'callee'];

class UsageError extends Error {}

/** "2s", "1.5s", "500ms" or "2" (seconds) -> seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (!m) throw new UsageError(`"${text}" is not a duration (e.g. 2s, 1.5s, 500ms)`);
  return m[2] === 'ms' ? Number(m[1]) / 1000 : Number(m[1]);
}

interface Globals {
  url?: string;
  accountSid?: string;
  authToken?: string;
  json?: boolean;
}

interface SpeechFlags {
  say?: string;
  at?: string;
  afterSpeech?: boolean;
}

/**
 * What `callee` set, in one line, each flag given in words: `+15550002222: answers after 2s, says
 * tone:700 once the other party has spoken, hangs up 30s after answering`.
 */
export function calleeSummary(number: string, o: SpeechFlags & { answer: string; answerAfter?: string; hangupAfter?: string }): string {
  const parts = [o.answer === 'answer' ? `answers after ${o.answerAfter ?? '1s'}` : o.answer];
  if (o.answer === 'answer' && o.say) parts.push(`says ${o.say} ${o.afterSpeech ? 'once the other party has spoken' : `${o.at ?? '0s'} after answering`}`);
  if (o.answer === 'answer' && o.hangupAfter) parts.push(`hangs up ${o.hangupAfter} after answering`);
  return `${number}: ${parts.join(', ')}`;
}

const TONE = /^tone:(\d+)(?::(.+))?$/;
/** What `--say` and `say` take besides a WAV file. */
const TONE_HELP = 'or tone:HZ[:DURATION], a synthetic voice at that pitch (3s unless given), for the Gemini emulator\'s --language-by-pitch';

/** The WAV a party says: a file, or `tone:HZ[:DURATION]` (a toneVoice). */
async function wavOf(say: string): Promise<Buffer> {
  const tone = TONE.exec(say);
  if (tone) {
    const hz = Number(tone[1]);
    const sec = tone[2] === undefined ? 3 : parseDuration(tone[2]);
    if (hz < 50 || hz > 3500) throw new UsageError(`${say}: the pitch is 50 to 3500 Hz`);
    if (sec <= 0 || sec > 60) throw new UsageError(`${say}: the duration is over 0 and at most 60s`);
    return toWav(toneVoice(sec, hz));
  }
  try {
    return await readFile(say);
  } catch (err) {
    throw new UsageError(`cannot read ${say}: ${(err as Error).message}`);
  }
}

async function speech(flags: SpeechFlags): Promise<{ wav: string; at?: number; afterSpeech?: boolean }[] | undefined> {
  if (flags.say === undefined) {
    if (flags.at !== undefined || flags.afterSpeech) throw new UsageError('--at and --after-speech go with --say FILE');
    return undefined;
  }
  const bytes = await wavOf(flags.say);
  return [{ wav: bytes.toString('base64'), at: flags.at === undefined ? undefined : parseDuration(flags.at), afterSpeech: flags.afterSpeech || undefined }];
}

const addSpeech = (cmd: Command, atHelp: string): Command =>
  cmd
    .option('--say <file>', `WAV the party says (PCM or mu-law, any rate), ${TONE_HELP}`)
    .option('--at <duration>', atHelp)
    .option('--after-speech', 'speak once the other party has spoken and paused, like a person taking turns');

function callLine(c: CallSnapshot): string {
  const dur = c.durationSec === undefined ? '' : ` ${c.durationSec}s`;
  return `${c.sid}  ${c.direction.padEnd(12)} ${c.from} -> ${c.to}  ${c.status}${dur}\n`;
}

function conferenceLines(c: ConferenceSnapshot): string {
  const head = `${c.sid}  ${c.friendlyName}  ${c.status}\n`;
  return (
    head +
    c.participants
      .map((p) => {
        const flags = [p.label && `label=${p.label}`, p.muted && 'muted', p.hold && 'on hold', p.coaching && `coaching ${p.callSidToCoach}`].filter(Boolean).join(', ');
        return `  ${p.callSid}  ${p.status}${flags ? `  (${flags})` : ''}\n`;
      })
      .join('')
  );
}

export function buildControlProgram(env: NodeJS.ProcessEnv, io: ControlIo): Command {
  const program = new Command('emulator:twilio')
    .description('commands to a running Twilio emulator (start one with: npm run emulator:twilio -- --port 4010 ...)')
    .option('--url <url>', 'the emulator (default TWILIO_EMULATOR_URL, else TWILIO_API_URL, else http://127.0.0.1:4010)')
    .option('--account-sid <sid>', `its account (default TWILIO_ACCOUNT_SID, else ${DEFAULT_ACCOUNT_SID})`)
    .option('--auth-token <token>', `its auth token (default TWILIO_AUTH_TOKEN, else ${DEFAULT_AUTH_TOKEN})`)
    .option('--json', "print the control API's JSON");
  const client = (cmd: Command): { api: ControlClient; json: boolean } => {
    const g = cmd.optsWithGlobals<Globals>();
    return {
      api: new ControlClient({
        url: g.url ?? (env.TWILIO_EMULATOR_URL || env.TWILIO_API_URL || 'http://127.0.0.1:4010'),
        accountSid: g.accountSid ?? env.TWILIO_ACCOUNT_SID ?? DEFAULT_ACCOUNT_SID,
        authToken: g.authToken ?? env.TWILIO_AUTH_TOKEN ?? DEFAULT_AUTH_TOKEN,
      }),
      json: g.json === true,
    };
  };
  const printCall = (json: boolean, c: CallSnapshot) => io.out(json ? `${JSON.stringify(c)}\n` : callLine(c));

  addSpeech(
    program
      .command('call')
      .description("dial one of the emulator's numbers (an inbound call to your application) and print the call SID")
      .requiredOption('--from <number>', 'the caller, E.164')
      .requiredOption('--to <number>', "the number dialled (one of the emulator's --number)"),
    'when to speak, after the call is answered (default 0s)',
  )
    .option('--hangup-after <duration>', 'hang up this long after the answer')
    .option('--digits <digits@time...>', 'press keys at a time after the answer, e.g. 2@3s')
    .action(async (o: SpeechFlags & { from: string; to: string; hangupAfter?: string; digits?: string[] }, cmd: Command) => {
      const { api, json } = client(cmd);
      const digits = (o.digits ?? []).map((d) => {
        const m = /^([0-9*#wW]+)@(.+)$/.exec(d);
        if (!m) throw new UsageError(`--digits expects KEYS@TIME such as 2@3s, got "${d}"`);
        return { digits: m[1], at: parseDuration(m[2]) };
      });
      const body = { from: o.from, to: o.to, say: await speech(o), hangupAfter: o.hangupAfter === undefined ? undefined : parseDuration(o.hangupAfter), digits: digits.length > 0 ? digits : undefined };
      const c = await api.json<CallSnapshot>('POST', '/calls', body);
      io.out(json ? `${JSON.stringify(c)}\n` : `${c.sid}\n`);
    });

  program
    .command('say')
    .description('the party of a live call says a WAV: now, after a delay, or when the other party has spoken')
    .argument('<callSid>')
    .argument('<file>', `WAV (PCM or mu-law, any rate), ${TONE_HELP}`)
    .option('--in <duration>', 'start this long from now (default 0s)')
    .option('--after-speech', 'speak once the other party has spoken and paused')
    .action(async (sid: string, file: string, o: { in?: string; afterSpeech?: boolean }, cmd: Command) => {
      const { api, json } = client(cmd);
      const [s] = (await speech({ say: file, at: o.in, afterSpeech: o.afterSpeech }))!;
      printCall(json, await api.json<CallSnapshot>('POST', `/calls/${encodeURIComponent(sid)}/say`, s));
    });

  program
    .command('digits')
    .description('the party of a live call presses keys')
    .argument('<callSid>')
    .argument('<digits>', '0-9 * #')
    .action(async (sid: string, digits: string, _o: unknown, cmd: Command) => {
      const { api, json } = client(cmd);
      printCall(json, await api.json<CallSnapshot>('POST', `/calls/${encodeURIComponent(sid)}/digits`, { digits }));
    });

  program
    .command('hangup')
    .description('the party of a call hangs up')
    .argument('<callSid>')
    .action(async (sid: string, _o: unknown, cmd: Command) => {
      const { api, json } = client(cmd);
      printCall(json, await api.json<CallSnapshot>('POST', `/calls/${encodeURIComponent(sid)}/hangup`));
    });

  program
    .command('calls')
    .description('every call: SID, direction, from -> to, status, duration')
    .action(async (_o: unknown, cmd: Command) => {
      const { api, json } = client(cmd);
      const calls = await api.json<CallSnapshot[]>('GET', '/calls');
      if (json) io.out(`${JSON.stringify(calls)}\n`);
      else io.out(calls.length === 0 ? 'no calls\n' : calls.map(callLine).join(''));
    });

  program
    .command('save')
    .description('write what each party heard and said as WAV files (<callSid>-heard.wav, <callSid>-said.wav)')
    .argument('[callSids...]', 'calls to save (default: every call)')
    .option('--dir <dir>', 'where to write them', '.')
    .action(async (sids: string[], o: { dir: string }, cmd: Command) => {
      const { api } = client(cmd);
      const list = sids.length > 0 ? sids : (await api.json<CallSnapshot[]>('GET', '/calls')).map((c) => c.sid);
      if (list.length === 0) throw new UsageError('no calls to save');
      await mkdir(o.dir, { recursive: true });
      for (const sid of list) {
        for (const track of ['heard', 'said'] as const) {
          const file = path.join(o.dir, `${sid}-${track}.wav`);
          await writeFile(file, await api.bytes(`/calls/${encodeURIComponent(sid)}/${track}.wav`));
          io.out(`${file}\n`);
        }
      }
    });

  addSpeech(
    program
      .command('join')
      .description('a person dials into a conference by its name (created if needed); prints the call SID')
      .argument('<conference>', 'friendly name')
      .requiredOption('--from <number>', 'who joins'),
    'when to speak, after joining (default 0s)',
  )
    .option('--label <label>', 'participant label')
    .option('--muted', 'join muted')
    .option('--no-beep', 'no beep when joining or leaving')
    .option('--no-start-on-enter', 'do not start the conference (startConferenceOnEnter=false)')
    .option('--end-on-exit', 'end the conference when this person leaves (endConferenceOnExit=true)')
    .option('--hangup-after <duration>', 'leave this long after joining')
    .action(async (name: string, o: SpeechFlags & { from: string; label?: string; muted?: boolean; beep: boolean; startOnEnter: boolean; endOnExit?: boolean; hangupAfter?: string }, cmd: Command) => {
      const { api, json } = client(cmd);
      const body = {
        from: o.from,
        say: await speech(o),
        label: o.label,
        muted: o.muted,
        beep: o.beep ? undefined : 'false',
        startConferenceOnEnter: o.startOnEnter ? undefined : false,
        endConferenceOnExit: o.endOnExit,
        hangupAfter: o.hangupAfter === undefined ? undefined : parseDuration(o.hangupAfter),
      };
      const c = await api.json<CallSnapshot>('POST', `/conferences/${encodeURIComponent(name)}/participants`, body);
      io.out(json ? `${JSON.stringify(c)}\n` : `${c.sid}\n`);
    });

  program
    .command('conferences')
    .description('every conference with its participants')
    .action(async (_o: unknown, cmd: Command) => {
      const { api, json } = client(cmd);
      const list = await api.json<ConferenceSnapshot[]>('GET', '/conferences');
      if (json) io.out(`${JSON.stringify(list)}\n`);
      else io.out(list.length === 0 ? 'no conferences\n' : list.map(conferenceLines).join(''));
    });

  addSpeech(
    program
      .command('callee')
      .description('how a number your application dials answers, and what that person says (for the next calls to it)')
      .argument('<number>')
      .addOption(new Option('--answer <how>', 'answer, busy, no-answer or fail').choices(['answer', 'busy', 'no-answer', 'fail']).default('answer'))
      .option('--answer-after <duration>', 'ring this long first (default 1s)'),
    'when to speak, after answering (default 0s)',
  )
    .option('--hangup-after <duration>', 'hang up this long after answering')
    .action(async (number: string, o: SpeechFlags & { answer: string; answerAfter?: string; hangupAfter?: string }, cmd: Command) => {
      const { api, json } = client(cmd);
      const body = {
        answer: o.answer,
        answerAfter: o.answerAfter === undefined ? undefined : parseDuration(o.answerAfter),
        say: await speech(o),
        hangupAfter: o.hangupAfter === undefined ? undefined : parseDuration(o.hangupAfter),
      };
      const r = await api.json<Record<string, unknown>>('PUT', `/callees/${encodeURIComponent(number)}`, body);
      io.out(json ? `${JSON.stringify(r)}\n` : `${calleeSummary(number, o)}\n`);
    });

  for (const cmd of [program, ...program.commands]) {
    cmd
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
      .showHelpAfterError('(add --help for usage)')
      .allowExcessArguments(false);
  }
  return program;
}

/** Runs one command (argv without node and the script); resolves the exit code. */
export async function runControlCli(argv: string[], env: NodeJS.ProcessEnv, io: ControlIo): Promise<number> {
  const program = buildControlProgram(env, io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError) {
      io.err(`emulator:twilio: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ControlRequestError) {
      io.err(`emulator:twilio: ${err.message}\n`);
      return err.status === undefined ? 3 : 1;
    }
    throw err;
  }
}
