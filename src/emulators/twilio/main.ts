// CLI: `npm run emulator:twilio -- [options]` starts the emulator (--help lists the options);
// `npm run emulator:twilio -- COMMAND ...` drives a running one through its control API (reading
// `.env` in the working folder, as tolk does).
import { parseCliArgs, HELP } from './cli-args';
import { CONTROL_COMMANDS, runControlCli } from './control/cli';
import { startTwilioEmulator } from './emulator';
import { loadDotEnv } from '../../config/dotenv';
import { quietOnClosedPipe } from '../../cli/run-main';
import { startOrExplain } from '../listen-error';

async function serve(argv: string[]): Promise<void> {
  let cfg;
  try {
    cfg = parseCliArgs(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  if (cfg.help) {
    process.stdout.write(HELP);
    return;
  }
  const emulator = await startOrExplain('twilio emulator', () => startTwilioEmulator(cfg.options));
  if (!emulator) return;
  process.stdout.write(`twilio emulator listening on ${emulator.url} (account ${emulator.accountSid})\n`);
  for (const a of emulator.applications()) process.stdout.write(`TwiML App ${a.sid}: Voice URL ${a.voiceUrl}\n`);
  emulator.onEvent((e) => {
    if (e.type === 'call.status' || e.type === 'twiml' || e.type === 'error' || e.type === 'stream.open' || e.type === 'stream.closed' || e.type === 'conference' || e.type === 'conference.update')
      process.stdout.write(`${JSON.stringify(e)}\n`);
  });
  if (cfg.dial) {
    const sid = await emulator.dial({ from: cfg.dial.from, to: cfg.dial.to, party: { speech: cfg.dial.audio, speakAfterSec: 1 } });
    process.stdout.write(`dialled ${cfg.dial.to} from ${cfg.dial.from}: ${sid}\n`);
  }
  const shutdown = (): void => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

const argv = process.argv.slice(2);
if (argv.length > 0 && CONTROL_COMMANDS.includes(argv[0])) {
  // Commands read `.env` as tolk does (the environment wins): TWILIO_API_URL and the account there
  // are the emulator's when tolk is pointed at it.
  try {
    loadDotEnv();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  quietOnClosedPipe();
  void runControlCli(argv, process.env, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }).then((code) => {
    process.exitCode = code;
  });
} else {
  void serve(argv);
}
