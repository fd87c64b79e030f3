// Command-line options of the emulator (pure parsing, so it can be tested).
import type { CalleeScenario, PartySpec } from './party';
import type { EmulatedApplication, EmulatedNumber, TwilioEmulatorOptions } from './emulator';

export const HELP = `Usage: npm run emulator:twilio -- [options]

Emulates the parts of Twilio tolk uses: REST Calls, IncomingPhoneNumbers, Applications,
Conferences and Participants, TwiML execution, conferences (mixing, coaching, hold, beeps),
signed webhooks and status callbacks, and bidirectional Media Streams.

  --port P                 listen port (default 4010; 0 = any)
  --host H                 listen address (default 127.0.0.1)
  --account-sid AC...      account SID for Basic auth (default AC000...001)
  --auth-token T           auth token; also signs webhooks (default emulator-auth-token)
  --time-scale S           emulated time per real time: 0.1 = 10x faster (default 1)
  --number N=URL           a number of the account and its Voice URL (repeatable)
  --callee N=SCENARIO      how callee N reacts: answer[:SEC] | busy | no-answer | fail (repeatable)
  --callee-audio N=FILE    WAV the callee N speaks after answering (repeatable)
  --dial FROM>TO[:FILE]    after start, dial number TO from FROM, speaking FILE
  --app [SID=]URL          a TwiML App with this Voice URL (repeatable; SID AP... or generated)
  --no-agent-conference    the account lacks Agent Conference: coaching fails with error 16000
  --coached-gain-db DB     a coach hears the participant it coaches DB louder than the rest
                           (default 0, the plain mix)
  --app-parameters MODE    params | query | none: how app:AP...?k=v custom parameters reach the
                           app's Voice URL (request parameters, its query string, or not at all;
                           default params)
  --stream-signature MODE  sign | none: X-Twilio-Signature on the stream handshake (default sign)
  --loss R                 drop this fraction of media frames (0..1)
  --jitter MS              deliver stream messages up to ±MS late (network jitter, in order)
  --malformed-every N      send a malformed stream message after every Nth media frame
  --refuse-streams PART[:N] stream handshakes to URLs containing PART fail, as when the load
                           balancer cannot reach the instance behind it (the first N only;
                           repeatable): error 31920, stream-error, the TwiML after <Connect> runs
  --say-audio MODE         tone | silence: what <Say> sounds like (default tone)
  --help                   this text

Commands to a running emulator (through its control API; each takes --help):
  call --from N --to N [--say FILE [--at 2s | --after-speech]] [--hangup-after 30s] [--digits 1@3s]
  say CALLSID FILE [--in 1s | --after-speech]     digits CALLSID 12#     hangup CALLSID
  calls     save [CALLSID...] [--dir DIR]     conferences
  join CONFERENCE --from N [--say FILE ...] [--label L] [--muted] [--end-on-exit]
  callee NUMBER [--answer answer|busy|no-answer|fail] [--answer-after 2s] [--say FILE ...]
  FILE: a WAV, or tone:HZ[:DURATION], a synthetic voice at that pitch (3s unless given)
  Global: --url URL (default TWILIO_EMULATOR_URL, TWILIO_API_URL or http://127.0.0.1:4010),
          --account-sid, --auth-token, --json
`;

export interface CliConfig {
  options: TwilioEmulatorOptions;
  dial?: { from: string; to: string; audio?: string };
  help: boolean;
}

function scenario(text: string): CalleeScenario {
  const [kind, sec] = text.split(':');
  const afterSec = sec === undefined ? undefined : Number(sec);
  if (kind === 'answer' || kind === 'busy' || kind === 'fail') return { kind, afterSec };
  if (kind === 'no-answer') return { kind };
  throw new Error(`unknown callee scenario "${text}"`);
}

function pair(text: string, flag: string): [string, string] {
  const i = text.indexOf('=');
  if (i <= 0) throw new Error(`${flag} expects NUMBER=VALUE, got "${text}"`);
  return [text.slice(0, i), text.slice(i + 1)];
}

export function parseCliArgs(argv: string[]): CliConfig {
  const options: TwilioEmulatorOptions = { port: 4010 };
  const numbers: EmulatedNumber[] = [];
  const applications: EmulatedApplication[] = [];
  const callees: Record<string, PartySpec> = {};
  const faults: NonNullable<TwilioEmulatorOptions['faults']> = {};
  let dial: CliConfig['dial'];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const num = (): number => {
      const n = Number(value());
      if (!Number.isFinite(n)) throw new Error(`${flag} needs a number`);
      return n;
    };
    switch (flag) {
      case '--help':
      case '-h':
        help = true;
        break;
      case '--port':
        options.port = num();
        break;
      case '--host':
        options.host = value();
        break;
      case '--account-sid':
        options.accountSid = value();
        break;
      case '--auth-token':
        options.authToken = value();
        break;
      case '--time-scale':
        options.timeScale = num();
        break;
      case '--number': {
        const [n, url] = pair(value(), flag);
        numbers.push({ phoneNumber: n, voiceUrl: url });
        break;
      }
      case '--callee': {
        const [n, s] = pair(value(), flag);
        callees[n] = { ...callees[n], scenario: scenario(s) };
        break;
      }
      case '--callee-audio': {
        const [n, f] = pair(value(), flag);
        callees[n] = { ...callees[n], speech: f };
        break;
      }
      case '--dial': {
        const m = /^([^>]+)>([^:]+)(?::(.+))?$/.exec(value());
        if (!m) throw new Error('--dial expects FROM>TO[:FILE]');
        dial = { from: m[1], to: m[2], audio: m[3] };
        break;
      }
      case '--app': {
        const v = value();
        const m = /^(AP[0-9a-fA-F]{32})=(.+)$/.exec(v);
        const voiceUrl = m ? m[2] : v;
        if (!/^https?:\/\//.test(voiceUrl)) throw new Error(`--app expects [AP...=]URL with an http(s) Voice URL, got "${v}"`);
        applications.push({ sid: m?.[1], voiceUrl });
        break;
      }
      case '--no-agent-conference':
        options.agentConference = false;
        break;
      case '--coached-gain-db':
        options.coachedPartyGainDb = num();
        break;
      case '--app-parameters': {
        const v = value();
        if (v !== 'params' && v !== 'query' && v !== 'none') throw new Error('--app-parameters is params, query or none');
        options.appParameters = v;
        break;
      }
      case '--stream-signature': {
        const v = value();
        if (v !== 'sign' && v !== 'none') throw new Error('--stream-signature is sign or none');
        options.streamSignature = v;
        break;
      }
      case '--loss':
        faults.lossRate = num();
        break;
      case '--jitter':
        faults.jitterMs = num();
        if (faults.jitterMs < 0) throw new Error('--jitter needs ms >= 0');
        break;
      case '--malformed-every':
        faults.malformedEvery = num();
        break;
      case '--refuse-streams': {
        const v = value();
        const m = /^(.+?)(?::(\d+))?$/.exec(v);
        if (!m) throw new Error('--refuse-streams expects PART or PART:N');
        (faults.refuseStreams ??= []).push({ urlContains: m[1], ...(m[2] !== undefined ? { count: Number(m[2]) } : {}) });
        break;
      }
      case '--say-audio': {
        const v = value();
        if (v !== 'tone' && v !== 'silence') throw new Error('--say-audio is tone or silence');
        options.sayAudio = v;
        break;
      }
      default:
        throw new Error(`unknown option ${flag} (see --help)`);
    }
  }
  options.numbers = numbers;
  options.applications = applications;
  options.callees = callees;
  if (faults.lossRate !== undefined || faults.malformedEvery !== undefined || faults.jitterMs !== undefined || faults.refuseStreams !== undefined) options.faults = faults;
  return { options, dial, help };
}
