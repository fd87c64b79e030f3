/**
 * Try it: pick a language, allow the microphone, speak, and hear the translation with captions.
 * tolk mints an ephemeral token locked to the chosen configuration (`POST /api/tokens`); the
 * browser then talks to Gemini Live directly: 16 kHz PCM from an AudioWorklet in, 24 kHz out,
 * played gaplessly.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import captureWorkletUrl from '../audio/capture-worklet.ts?worker&url';
import { LiveTranslateSession, type ClientToken } from '../audio/live-session';
import { CAPTURE_PROCESSOR } from '../audio/pcm';
import { PcmPlayer } from '../audio/player';
import { api, ApiError, problemsOf, type FieldProblem } from '../lib/api';
import { CaptionLog, type Caption } from '../lib/captions';
import { useLanguages } from '../lib/languages';
import { Field } from '../components/field';

type Phase = 'idle' | 'starting' | 'listening' | 'stopping';

interface Running {
  ctx: AudioContext;
  stream: MediaStream;
  session: LiveTranslateSession;
  player: PcmPlayer;
  timer: number;
}

export function TryIt() {
  const languages = useLanguages();
  const [target, setTarget] = useState('en');
  const [echo, setEcho] = useState(false);
  const [phase, setPhase] = useState<Phase>('idle');
  const [status, setStatus] = useState('Press Start, allow the microphone, and speak.');
  const [error, setError] = useState<string | undefined>();
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [captions, setCaptions] = useState<readonly Caption[]>([]);
  const [micLevel, setMicLevel] = useState(0);
  const [outLevel, setOutLevel] = useState(0);
  const [played, setPlayed] = useState(0);
  const running = useRef<Running | undefined>(undefined);

  const stop = async (message = 'Stopped.') => {
    const r = running.current;
    running.current = undefined;
    if (r) {
      clearInterval(r.timer);
      r.session.close();
      r.stream.getTracks().forEach((t) => t.stop());
      r.player.stop();
      await r.ctx.close().catch(() => undefined);
    }
    setPhase('idle');
    setMicLevel(0);
    setOutLevel(0);
    setStatus(message);
  };
  useEffect(() => () => void stop(), []);

  const start = async () => {
    setPhase('starting');
    setError(undefined);
    setProblems([]);
    setCaptions([]);
    setPlayed(0);
    const log = new CaptionLog();
    let ctx: AudioContext | undefined;
    let stream: MediaStream | undefined;
    try {
      setStatus('Getting a token from tolk…');
      const token = await api.post<ClientToken>('/api/tokens', { targetLanguage: target, echoTargetLanguage: echo });
      setStatus('Waiting for the microphone…');
      stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true } });
      ctx = new AudioContext();
      await ctx.audioWorklet.addModule(captureWorkletUrl);
      const player = new PcmPlayer(ctx);
      setStatus('Connecting to the translation service…');
      const session = await LiveTranslateSession.open(token, { targetLanguage: target, echoTargetLanguage: echo }, {
        input: (text, lang) => {
          log.add('source', text, lang, performance.now());
          setCaptions(log.captions);
        },
        output: (text, lang) => {
          log.add('translation', text, lang, performance.now());
          setCaptions(log.captions);
        },
        audio: (pcm) => player.enqueue(pcm),
        closed: (code, reason) => void stop(`The translation service ended the session (${code}${reason ? `: ${reason}` : ''}).`),
      });
      const mic = ctx.createMediaStreamSource(stream);
      const capture = new AudioWorkletNode(ctx, CAPTURE_PROCESSOR, { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] });
      capture.port.onmessage = (e: MessageEvent<{ pcm: Int16Array; level: number }>) => {
        session.sendAudio(e.data.pcm);
        setMicLevel(e.data.level);
      };
      const mute = ctx.createGain();
      mute.gain.value = 0;
      mic.connect(capture).connect(mute).connect(ctx.destination);
      const timer = window.setInterval(() => {
        setPlayed(player.playedSeconds);
        setOutLevel(player.level());
      }, 200);
      running.current = { ctx, stream, session, player, timer };
      setPhase('listening');
      setStatus('Listening: speak now.');
    } catch (err) {
      stream?.getTracks().forEach((t) => t.stop());
      await ctx?.close().catch(() => undefined);
      setPhase('idle');
      if (err instanceof ApiError && err.problems.length > 0) setProblems(err.problems);
      const message = err instanceof DOMException && err.name === 'NotAllowedError' ? 'The microphone was not allowed.' : (err as Error).message;
      setError(message);
      setStatus('Not running.');
    }
  };

  return (
    <section aria-labelledby="try-title">
      <h1 id="try-title">Try it</h1>
      <p>Hear tolk's translation of your own voice before wiring a phone number. Your browser talks to the translation service directly, with a single-use token tolk gives it.</p>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          if (phase === 'idle') void start();
          else if (phase === 'listening') void stop();
        }}
      >
        <Field id="try-language" label="Translate into" errors={problemsOf(problems, 'targetLanguage')}>
          {(a) => (
            <select {...a} value={target} disabled={phase !== 'idle'} onChange={(e) => setTarget(e.currentTarget.value)}>
              {(languages.length > 0 ? languages : [{ code: 'en', name: 'English' }]).map((l) => (
                <option key={l.code} value={l.code}>
                  {l.name} ({l.code})
                </option>
              ))}
            </select>
          )}
        </Field>
        <div class="check">
          <input id="try-echo" type="checkbox" checked={echo} disabled={phase !== 'idle'} onChange={(e) => setEcho(e.currentTarget.checked)} />
          <label for="try-echo">Also speak when I already speak that language</label>
        </div>
        <button type="submit" disabled={phase === 'starting' || phase === 'stopping'}>
          {phase === 'listening' ? 'Stop' : 'Start'}
        </button>
      </form>
      <p role="status" class="status">{status}</p>
      {error && <p class="error" role="alert">{error}</p>}
      <div class="meters">
        <label for="try-mic">Microphone</label>
        <meter id="try-mic" class="meter" min={0} max={0.5} value={micLevel} />
        <label for="try-out">Translation</label>
        <meter id="try-out" class="meter" min={0} max={0.5} value={outLevel} />
        <p id="try-played">Translated speech played: {played.toFixed(1)} s</p>
      </div>
      <h2>Captions</h2>
      {captions.length === 0 && <p>Nothing heard yet.</p>}
      <ol class="transcript captions" aria-live="polite">
        {captions.map((c) => (
          <li key={c.id} class="utterance">
            <p lang={c.source.languageCode}>
              <span class="lang">{c.source.languageCode ?? '…'}</span> {c.source.text}
            </p>
            <p lang={c.translation.languageCode} class="translation">
              <span class="lang">{c.translation.languageCode ?? '…'}</span> {c.translation.text}
            </p>
          </li>
        ))}
      </ol>
    </section>
  );
}
