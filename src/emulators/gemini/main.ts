/** CLI: `npm run emulator:gemini -- --port 8765 [--mode echo|script] ...` (see --help). */
import { HELP, parseArgs } from './options';
import { loadScript } from './script';
import { startGeminiEmulator } from './server';
import { startOrExplain } from '../listen-error';

async function main(): Promise<void> {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HELP}`);
    process.exitCode = 2;
    return;
  }
  if (opts.help) {
    process.stdout.write(HELP);
    return;
  }
  const emulator = await startOrExplain('gemini emulator', async () =>
    startGeminiEmulator({
      port: opts.port,
      host: opts.host,
      mode: opts.mode,
      script: opts.script ? await loadScript(opts.script) : undefined,
      language: opts.language,
      voices: { languageByPitch: opts.languageByPitch, translationTone: opts.translationTone },
      lagMs: opts.lagMs,
      timeScale: opts.timeScale,
      apiKeys: opts.apiKeys,
      models: opts.models.length > 0 ? opts.models : undefined,
      usageIntervalMs: opts.usageIntervalMs,
      resumptionIntervalMs: opts.resumptionIntervalMs,
      detector: opts.detector,
      faults: opts.faults,
      perMessageDeflate: opts.perMessageDeflate,
    }),
  );
  if (!emulator) return;
  process.stdout.write(`${JSON.stringify({ event: 'gemini_emulator.listening', url: emulator.url, mode: opts.mode, faults: opts.faults })}\n`);
  const stop = (): void => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
