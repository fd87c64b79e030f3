/**
 * The load rig's pre-built frames say what Twilio's and Gemini's would: a patched media message is
 * the documented message, and the in-place base64 readers agree with a full decode.
 */
import { randomBytes } from 'node:crypto';
import { mediaMessage } from '../../src/emulators/twilio/stream-messages';
import { encodeMulaw } from '../../src/audio/mulaw';
import { base64SampleAt, encodeTimeline, FRAME_B64, firstLoudMulaw, HEARD_LEVEL, MediaMessageWriter, ModelVoice, SPEECH_LEVEL, speechOnsetPcm, TONE_LEVEL } from '../../scripts/rig/frames';
import { timeline, turns } from '../../scripts/rig/timelines';

const SID = 'MZ' + 'a'.repeat(32);

/** The text of one whole client text frame (final, masked with an all-zero key), or a description of what is wrong. */
function textOfClientFrame(f: Buffer): string {
  const len7 = f[1] & 0x7f;
  const [len, keyAt] = len7 === 126 ? [f.readUInt16BE(2), 4] : [len7, 2];
  if (f[0] !== 0x81 || (f[1] & 0x80) === 0 || f.readUInt32BE(keyAt) !== 0 || f.length !== keyAt + 4 + len) return `not one zero-masked text frame: ${f.subarray(0, 8).toString('hex')}`;
  return f.toString('latin1', keyAt + 4);
}

describe('MediaMessageWriter', () => {
  it('writes the media message Twilio documents, framed as a client sends it, as counters grow a digit, from a reused ring', () => {
    const pcm = Int16Array.from({ length: 160 * 3 }, (_, i) => Math.round(8000 * Math.sin(i / 7)));
    const payloads = encodeTimeline(pcm);
    const w = new MediaMessageWriter(SID, 2);
    const id = { accountSid: 'AC' + '0'.repeat(32), callSid: 'CA' + '0'.repeat(32), streamSid: SID };
    const seen: string[] = [];
    for (const chunk of [1, 2, 9, 10, 11, 99, 100, 101, 4999, 5000, 5001]) {
      const frame = chunk % 3;
      const text = textOfClientFrame(w.frame(payloads, frame * FRAME_B64, chunk, chunk + 1));
      seen.push(text);
      // The message alone (what the frame path hands tolk's stream session) is the frame's payload.
      expect(w.message(payloads, frame * FRAME_B64, chunk, chunk + 1).toString('latin1')).toBe(text);
      const expected = mediaMessage(id, chunk + 1, chunk, (chunk - 1) * 20, Buffer.from(encodeMulaw(pcm.subarray(frame * 160, frame * 160 + 160))).toString('base64'));
      expect(JSON.parse(text)).toEqual(expected);
    }
    expect(new Set(seen).size).toBe(seen.length);
  });
});

describe('reading base64 in place', () => {
  it('reads 16-bit samples as a full decode does', () => {
    const bytes = randomBytes(3200);
    const text = Buffer.from(`{"data":"${bytes.toString('base64')}"}`, 'latin1');
    const samples = new Int16Array(bytes.buffer, bytes.byteOffset, 1600);
    for (const k of [0, 1, 2, 3, 799, 1598, 1599]) expect(base64SampleAt(text, 9, k)).toBe(samples[k]);
  });

  it('finds where speech starts in a chunk, and nothing in silence', () => {
    const pcm = new Int16Array(1600);
    const silent = Buffer.from(Buffer.from(pcm.buffer).toString('base64'), 'latin1');
    expect(speechOnsetPcm(silent, 0, 1600)).toBe(-1);
    for (let i = 800; i < 1600; i++) pcm[i] = i % 2 ? 3 * SPEECH_LEVEL : -3 * SPEECH_LEVEL;
    const speech = Buffer.from(Buffer.from(pcm.buffer).toString('base64'), 'latin1');
    expect(speechOnsetPcm(speech, 0, 1600)).toBe(800);
  });

  it('finds the very sample speech starts on, between the samples it looks at', () => {
    for (const onset of [0, 1, 7, 8, 803, 1592, 1595, 1599]) {
      const pcm = new Int16Array(1600);
      for (let i = onset; i < 1600; i++) pcm[i] = 3 * SPEECH_LEVEL;
      expect({ onset, found: speechOnsetPcm(Buffer.from(Buffer.from(pcm.buffer).toString('base64'), 'latin1'), 0, 1600) }).toEqual({ onset, found: onset });
    }
  });

  it('finds the first loud mu-law sample of a frame', () => {
    const pcm = new Int16Array(160);
    pcm[37] = HEARD_LEVEL + 2000;
    const text = Buffer.from(Buffer.from(encodeMulaw(pcm)).toString('base64'), 'latin1');
    expect(firstLoudMulaw(text, 0, 160, HEARD_LEVEL)).toBe(37);
    expect(firstLoudMulaw(Buffer.from(Buffer.alloc(160, 0xff).toString('base64'), 'latin1'), 0, 160, HEARD_LEVEL)).toBe(-1);
  });
});

describe('timelines', () => {
  it('starts each utterance at a loud sample and marks it in its frame', () => {
    const speech = Int16Array.from({ length: 4000 }, (_, i) => (i < 300 ? 100 : 5000));
    const t = turns(speech, 4, 1, 1);
    expect(t.starts).toEqual([8000, 8000 + 3700 + 8000, 8000 + 2 * (3700 + 8000)]);
    expect(t.pcm[8000]).toBe(5000);
    expect(t.pcm[7999]).toBe(0);
    const tl = timeline(t.pcm, t.starts);
    expect(tl.onsetInFrame[50]).toBe(0);
    expect([...tl.onsetInFrame].filter((o) => o >= 0)).toEqual([0, 20, 40]);
  });
});

describe("the rig model's voice", () => {
  /** The 24 kHz samples a voice frame carries. */
  const samplesOf = (f: Buffer): Int16Array => {
    const text = f.toString('latin1');
    const data = Buffer.from(/"data":"([^"]*)"/.exec(text)?.[1] ?? '', 'base64');
    return new Int16Array(data.buffer, data.byteOffset, data.length >> 1);
  };
  const firstLoud = (pcm: Int16Array): number => pcm.findIndex((v) => Math.abs(v) > 0);

  it('starts on the 24 kHz sample where the speech started in the message, at any sample', () => {
    const voice = new ModelVoice(1600);
    for (const onset of [1, 2, 3, 7, 803, 1001, 1599]) {
      const pcm = samplesOf(voice.from(onset));
      expect({ onset, length: pcm.length, startsAt: firstLoud(pcm) }).toEqual({ onset, length: 2400, startsAt: Math.round(onset * 1.5) });
    }
    expect(voice.from(0)).toBe(voice.full);
    expect(voice.from(803)).toBe(voice.from(803)); // built once
  });

  it('is as long as the message it answers, full or silent', () => {
    const voice = new ModelVoice(640); // a 40 ms message
    expect(samplesOf(voice.full)).toHaveLength(960);
    expect(Math.max(...samplesOf(voice.full))).toBeGreaterThan(TONE_LEVEL * 0.9);
    expect(samplesOf(voice.silent).every((v) => v === 0)).toBe(true);
  });
});
