/** `tolk conferences join|show|leave CONFERENCE`: tolk as the interpreter of a conference in progress. */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { InterpreterJson } from '../api-client';
import { clientFor, outputFor, type CliContext } from '../context';
import { languageList } from '../option-parsers';
import { printJson, seconds, withProblemLines } from '../output';

/** `CA...=es` */
function participant(value: string, previous: { callSid: string; language: string }[] = []): { callSid: string; language: string }[] {
  const m = /^(CA[0-9a-fA-F]{32})=(\S+)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`'${value.slice(0, 60)}' is not CALLSID=LANGUAGE (e.g. CA0123...=es).`);
  return [...previous, { callSid: m[1], language: m[2] }];
}

/** `caller CAxxx (es)`, `participant CAyyy (detecting)`: who the party is in the call, and the language they speak. */
function participantText(p: InterpreterJson['participants'][number]): string {
  return `${p.role ? `${p.role} ` : ''}${p.callSid} (${p.language ?? 'detecting'})`;
}

/** `CAxxx connected (whispers to CAyyy)` */
function legLine(l: InterpreterJson['legs'][number]): string {
  return `${l.callSid ?? l.endpoint} ${l.state}${l.whisperTo ? ` (whispers to ${l.whisperTo})` : ''}`;
}

/** A session's mean delays so far: how far behind its listeners are, and how long they waited after speech ended. */
function delays(i: InterpreterJson, language: string): string {
  const lag = i.lagMs[language];
  const latency = i.latencyMs[language];
  const parts = [lag !== undefined ? `lag ${seconds(lag)}` : undefined, latency !== undefined ? `latency ${latency} ms` : undefined].filter((p) => p !== undefined);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

export function interpreterBlock(i: InterpreterJson): string {
  const lines = [
    `Conference   ${i.conference}`,
    `Call         ${i.callId}`,
    `State        ${i.state}`,
    `Mode         ${i.mode}${i.mode !== i.requestedMode ? ` (asked for ${i.requestedMode}${i.fallback ? `: ${i.fallback}` : ''})` : ''}`,
    `Participants ${i.participants.length === 0 ? '-' : i.participants.map(participantText).join(', ')}`,
    `Sessions     ${i.sessions.length === 0 ? '-' : i.sessions.map((s) => `${s.language} ${s.state}${delays(i, s.language)}`).join(', ')}`,
    `Legs         ${i.legs.length === 0 ? '-' : i.legs.map(legLine).join(', ')}`,
  ];
  return `${lines.join('\n')}\n`;
}

export function conferencesCommand(ctx: CliContext): Command {
  const conferences = new Command('conferences').description('interpret a Twilio conference in progress (any conference: Flex, TaskRouter, your own)');

  conferences
    .command('join')
    .description('join the conference as its interpreter')
    .argument('<conference>', "the conference's SID (CF...) or friendly name (in Flex: the task SID)")
    .addOption(new Option('--mode <mode>', 'whisper: each party hears only the translation into their language; open: everyone hears every translation').choices(['whisper', 'open']))
    .option('--participant <callSid=lang>', 'a participant and the language they speak (repeatable; others are detected)', participant)
    .option('--languages <codes>', 'languages spoken besides the participants named (comma-separated)', languageList)
    .addHelpText('after', '\nExample:\n  tolk conferences join WT0123... --participant CAaaa...=es --participant CAbbb...=en\n')
    .action(async (conference: string, opts: { mode?: string; participant?: { callSid: string; language: string }[]; languages?: string[] }, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      const joined = await withProblemLines(
        clientFor(ctx, cmd).joinConference(conference, {
          ...(opts.mode ? { mode: opts.mode } : {}),
          ...(opts.participant ? { participants: opts.participant } : {}),
          ...(opts.languages ? { languages: opts.languages } : {}),
        }),
      );
      if (o.json) printJson(o, joined);
      else o.out(`Joining ${conference} as its interpreter.\n${interpreterBlock(joined)}`);
    });

  conferences
    .command('show')
    .description('what the interpreter of the conference is doing: mode, participants, sessions, latency')
    .argument('<conference>', "the conference's SID or friendly name")
    .action(async (conference: string, _opts: unknown, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      const shown = await clientFor(ctx, cmd).showConference(conference);
      if (o.json) printJson(o, shown);
      else o.out(interpreterBlock(shown));
    });

  conferences
    .command('leave')
    .description('the interpreter leaves the conference (which goes on without it)')
    .argument('<conference>', "the conference's SID or friendly name")
    .action(async (conference: string, _opts: unknown, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      await clientFor(ctx, cmd).leaveConference(conference);
      if (o.json) printJson(o, { conference, left: true });
      else o.out(`Left ${conference}.\n`);
    });

  return conferences;
}
