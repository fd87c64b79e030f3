/**
 * Renders the audio prompts tolk plays inside a media stream (where Twilio's <Say> cannot speak)
 * into twiml/prompts/<key>.<language>.wav as 8 kHz mu-law, from the texts in src/call/messages.ts.
 * Needs espeak-ng (Debian: `apt-get install espeak-ng`). The rendered files are committed, so a
 * deployment never needs espeak-ng; run this again after changing a message.
 *
 *   npx tsx scripts/make-prompts.ts [--out twiml/prompts]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readWav, resampleBuffer, writeWav } from '../src/audio';
import { espeakVoice, message, MESSAGE_LANGUAGES } from '../src/call/messages';
import { STREAM_PROMPTS } from '../src/call/prompts';

function main(): void {
  const outIdx = process.argv.indexOf('--out');
  const outDir = path.resolve(outIdx > 0 ? process.argv[outIdx + 1] : path.join(__dirname, '..', 'twiml', 'prompts'));
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-prompts-'));
  try {
    for (const key of STREAM_PROMPTS) {
      for (const lang of MESSAGE_LANGUAGES) {
        const raw = path.join(tmp, `${key}.${lang}.wav`);
        execFileSync('espeak-ng', ['-v', espeakVoice(lang), '-s', '150', '-a', '70', '-w', raw, message(key, lang)]);
        const src = readWav(fs.readFileSync(raw));
        // Whole-buffer conversion of a file: wave-resampler's sinc with its low-pass serves well here.
        const pcm8k = resampleBuffer(src.samples, src.sampleRate, 8000);
        const file = path.join(outDir, `${key}.${lang}.wav`);
        fs.writeFileSync(file, writeWav({ sampleRate: 8000, samples: pcm8k, encoding: 'mulaw' }));
        process.stdout.write(`${path.relative(process.cwd(), file)}  ${(pcm8k.length / 8000).toFixed(1)} s\n`);
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main();
