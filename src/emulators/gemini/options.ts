/** Command-line options of the emulator (pure parsing; main.ts does the I/O). */
import { DEFAULT_LAG_MS, type EmulatorMode } from './server';
import { parsePitchMap } from './responder';
import type { EmulatorFaults } from './session';

export const HELP = `Gemini Live translate emulator (tolk)

Usage: npm run emulator:gemini -- [options]

  --port N                 listen port (default 8765; 0 = any free port)
  --host H                 listen address (default 127.0.0.1)
  --mode echo|script       echo: streams the input speech itself back as 24 kHz output while the
                           speaker talks, transcripts state what was heard ("[es speech 2.4 s]");
                           script: utterance N starts speaking entry N of --script as soon as the
                           speaker starts (default echo)
  --script FILE            script JSON for --mode script (format: see README, The Gemini Live emulator)
  --language CODE|MAP      language echo mode claims to hear: a code, or per target
                           language like en=es,es=en (default es)
  --language-by-pitch MAP  echo mode tells a speaker's language by the pitch of their voice,
                           e.g. 500=es,700=en (for test speakers that speak tones)
  --translation-tone MAP   echo mode speaks the translation into a language as a tone of its own,
                           e.g. es=1100,en=1300, instead of echoing the speech
  --lag MS                 how far the translation trails the speech it translates (default 300)
  --time-scale X           real seconds per emulated second; 0.1 runs ten times faster (default 1)
  --api-key KEY            accept only this key (repeatable); default accepts any non-empty key
  --model ID               accepted model id (repeatable; default gemini-3.5-live-translate-preview)
  --usage-interval MS      usageMetadata period (default 1000)
  --resumption-interval MS sessionResumptionUpdate period (default 3000)
  --vad-threshold N        energy detector RMS threshold, int16 scale (default 500)
  --vad-pause MS           silence that ends an utterance (default 500)
  --min-speech MS          shorter bursts of sound are ignored as clicks (default 120)
  --max-utterance MS       longer speech is cut into transcript lines of at most this; it is
                           still translated once, as one utterance (default 6000)
  --deflate                accept the permessage-deflate extension when a client offers it
                           (whether Google's service does is not documented; default off)
Faults (applied to every connection; times are after setupComplete):
  --goaway-after MS        send goAway, then close 1008 when timeLeft runs out
  --goaway-time-left MS    timeLeft announced in goAway (default 1000)
  --quota-after MS         close 1011 with the service's quota text
  --internal-after MS      close 1011 "Internal error occurred."
  --drop-after MS          drop the TCP connection without a close frame
  --malformed-after MS     send one non-JSON frame
  --setup-delay MS         delay setupComplete (slow setup)
  --no-setup               never answer setup (setup timeout)
  --setup-failure quota|internal|invalid|drop   refuse every setup this way
  --burst                  send each reply's audio at once (faster than real time)
  --help                   this text
`;

export interface CliOptions {
  help: boolean;
  port: number;
  host: string;
  mode: EmulatorMode;
  script?: string;
  language: string;
  languageByPitch?: Map<number, string>;
  translationTone?: Map<string, number>;
  lagMs: number;
  timeScale: number;
  apiKeys: string[];
  models: string[];
  usageIntervalMs: number;
  resumptionIntervalMs: number;
  detector: { threshold?: number; pauseMs?: number; minSpeechMs?: number; maxUtteranceMs?: number };
  faults: EmulatorFaults;
  perMessageDeflate: boolean;
}

export function parseArgs(argv: string[]): CliOptions {
  const o: CliOptions = {
    help: false, port: 8765, host: '127.0.0.1', mode: 'echo', language: 'es', lagMs: DEFAULT_LAG_MS, timeScale: 1,
    apiKeys: [], models: [], usageIntervalMs: 1000, resumptionIntervalMs: 3000, detector: {}, faults: {}, perMessageDeflate: false,
  };
  const args = [...argv];
  const value = (flag: string): string => {
    const v = args.shift();
    if (v === undefined) throw new Error(`${flag} needs a value`);
    return v;
  };
  const num = (flag: string): number => {
    const v = Number(value(flag));
    if (!Number.isFinite(v) || v < 0) throw new Error(`${flag} needs a non-negative number`);
    return v;
  };
  while (args.length > 0) {
    const flag = args.shift()!;
    switch (flag) {
      case '--help': case '-h': o.help = true; break;
      case '--port': o.port = num(flag); break;
      case '--host': o.host = value(flag); break;
      case '--mode': {
        const m = value(flag);
        if (m !== 'echo' && m !== 'script') throw new Error('--mode must be echo or script');
        o.mode = m;
        break;
      }
      case '--script': o.script = value(flag); break;
      case '--language': o.language = value(flag); break;
      case '--language-by-pitch':
        o.languageByPitch = new Map([...parsePitchMap(value(flag), 'language-by-pitch')].map(([hz, code]) => [Number(hz), code]));
        break;
      case '--translation-tone':
        o.translationTone = new Map([...parsePitchMap(value(flag), 'translation-tone')].map(([code, hz]) => [code, Number(hz)]));
        break;
      case '--lag': o.lagMs = num(flag); break;
      case '--time-scale': o.timeScale = num(flag) || 1; break;
      case '--api-key': o.apiKeys.push(value(flag)); break;
      case '--model': o.models.push(value(flag)); break;
      case '--usage-interval': o.usageIntervalMs = num(flag); break;
      case '--resumption-interval': o.resumptionIntervalMs = num(flag); break;
      case '--vad-threshold': o.detector.threshold = num(flag); break;
      case '--vad-pause': o.detector.pauseMs = num(flag); break;
      case '--min-speech': o.detector.minSpeechMs = num(flag); break;
      case '--max-utterance': {
        const v = num(flag);
        if (v < 100) throw new Error('--max-utterance needs at least 100 ms');
        o.detector.maxUtteranceMs = v;
        break;
      }
      case '--deflate': o.perMessageDeflate = true; break;
      case '--goaway-after': o.faults.goAwayAfterMs = num(flag); break;
      case '--goaway-time-left': o.faults.goAwayTimeLeftMs = num(flag); break;
      case '--quota-after': o.faults.quotaAfterMs = num(flag); break;
      case '--internal-after': o.faults.internalErrorAfterMs = num(flag); break;
      case '--drop-after': o.faults.dropAfterMs = num(flag); break;
      case '--malformed-after': o.faults.malformedAfterMs = num(flag); break;
      case '--setup-delay': o.faults.setupDelayMs = num(flag); break;
      case '--no-setup': o.faults.neverSetup = true; break;
      case '--setup-failure': {
        const f = value(flag);
        if (f !== 'quota' && f !== 'internal' && f !== 'invalid' && f !== 'drop') throw new Error('--setup-failure must be quota, internal, invalid or drop');
        o.faults.setupFailure = f;
        break;
      }
      case '--burst': o.faults.burst = true; break;
      default: throw new Error(`unknown option ${flag} (see --help)`);
    }
  }
  if (o.mode === 'script' && !o.script) throw new Error('--mode script needs --script FILE');
  return o;
}
