import { applyEvent, CAPTIONS_KEPT, connectedHow, endedText, ENDED_KEPT_MS, forgetEnded, GONE_KEPT, fromSnapshot, partialSpeaker, speakerOf, stateLabel, talkText, unavailableTexts, type WireEvent } from '../../console/src/lib/live';

const ev = (type: string, fields: Record<string, unknown> = {}, callId = 'c1', at = 1000): WireEvent => ({ type, callId, at, ...fields });

describe("the Live page's fold of call events", () => {
  it('builds a call from its events: state, participants, per-route session, language and lag, partial text then the final caption', () => {
    let calls = fromSnapshot([
      ev('call.created', { kind: 'direct', number: '+15550001111', from: '+34600000000', destination: '+15550002222' }),
      ev('participant.joined', { participantId: 'caller', role: 'caller', provisionalLanguage: 'es' }),
      ev('participant.joined', { participantId: 'agent', role: 'agent', language: 'en' }),
      ev('call.state', { from: 'dialing', to: 'bridged' }),
    ]);
    calls = [
      ev('session.state', { routeId: 'caller->agent', sessionId: 'caller->agent#1', targetLanguage: 'en', state: 'connecting' }),
      ev('session.state', { routeId: 'caller->agent', sessionId: 'caller->agent#1', targetLanguage: 'en', state: 'handing-over' }),
      ev('language.detected', { routeId: 'caller->agent', participantId: 'caller', languageCode: 'es' }),
      ev('utterance.partial', { routeId: 'caller->agent', side: 'source', text: 'Ho', languageCode: 'es' }),
      ev('utterance.partial', { routeId: 'caller->agent', side: 'source', text: 'la' }),
      ev('utterance.partial', { routeId: 'caller->agent', side: 'translation', text: 'Hello', languageCode: 'en' }),
      ev('utterance.latency', { routeId: 'caller->agent', latencyMs: 0, lagMs: 1240 }),
      ev('utterance.latency', { routeId: 'caller->agent', latencyMs: 640 }), // no lag measured: the last one stays
    ].reduce(applyEvent, calls);
    const c = calls.c1;
    expect(c).toMatchObject({ number: '+15550001111', state: 'bridged', participants: { caller: { role: 'caller', language: 'es' }, agent: { language: 'en' } } });
    expect(c.routes['caller->agent']).toMatchObject({ session: 'handing-over', targetLanguage: 'en', detectedLanguage: 'es', lagMs: 1240, lags: [1240] });
    expect(c.routes['caller->agent'].partial).toEqual({ source: 'Hola', sourceLanguage: 'es', translation: 'Hello', translationLanguage: 'en' });

    calls = applyEvent(calls, ev('utterance.final', { routeId: 'caller->agent', participantId: 'caller', source: { text: 'Hola.', languageCode: 'es' }, translation: { text: 'Hello.', languageCode: 'en' }, startMs: 500, endMs: 900 }));
    expect(calls.c1.routes['caller->agent'].partial).toBeUndefined();
    expect(calls.c1.captions).toEqual([expect.objectContaining({ routeId: 'caller->agent', source: { text: 'Hola.', languageCode: 'es' }, translation: { text: 'Hello.', languageCode: 'en' }, startMs: 500 })]);
    expect(speakerOf(calls.c1, 'caller->agent', 'caller')).toBe('caller');
    expect(speakerOf(calls.c1, 'agent->caller')).toBe('agent');

    calls = applyEvent(calls, ev('call.ended', { outcome: 'completed', durationMs: 5000 }, 'c1', 6000));
    expect(calls.c1).toMatchObject({ state: 'ended', ended: { outcome: 'completed', at: 6000, durationMs: 5000 } });
    expect(forgetEnded(calls, 6000 + ENDED_KEPT_MS)).toBe(calls);
    expect(forgetEnded(calls, 6001 + ENDED_KEPT_MS)).toEqual({});
  });

  it('keeps the newest captions only, and ignores the end of a call it never knew', () => {
    let calls = fromSnapshot([ev('call.created')]);
    for (let i = 0; i < CAPTIONS_KEPT + 5; i++) calls = applyEvent(calls, ev('utterance.final', { routeId: 'a->b', source: { text: `s${i}` }, translation: { text: `t${i}` }, startMs: i }));
    expect(calls.c1.captions).toHaveLength(CAPTIONS_KEPT);
    expect(calls.c1.captions[0].source.text).toBe('s5');
    expect(applyEvent(calls, ev('call.ended', { outcome: 'completed' }, 'other'))).toBe(calls);
  });

  it('shows a conference interpreted: its name, the interpretation in effect and why, the interpreter legs', () => {
    let calls = fromSnapshot([ev('call.created', { kind: 'conference', number: '', from: '', destination: '', conference: 'support-42', mode: 'whisper' }, 'k1')]);
    calls = [
      ev('interpreter.leg', { endpoint: 'whisper:p1', legRef: 'CA1', action: 'joined', whisperTo: 'p1' }, 'k1'),
      ev('interpreter.leg', { endpoint: 'whisper:p2', legRef: 'CA2', action: 'joined', whisperTo: 'p2' }, 'k1'),
      ev('interpreter.mode', { mode: 'open', requestedMode: 'whisper', fallback: 'coaching refused (16000)' }, 'k1'),
      ev('interpreter.leg', { endpoint: 'whisper:p1', legRef: 'CA1', action: 'left' }, 'k1'),
    ].reduce(applyEvent, calls);
    expect(calls.k1).toMatchObject({ conference: 'support-42', mode: 'open', requestedMode: 'whisper', fallback: 'coaching refused (16000)', legs: { 'whisper:p2': { whisperTo: 'p2' } } });
    expect(calls.k1.legs).not.toHaveProperty('whisper:p1');
    expect(calls.k1.number).toBeUndefined();
  });

  it("names a conference caption's speaker where tolk names one, a participant with their call SID, and never the route", () => {
    let calls = fromSnapshot([
      ev('call.created', { kind: 'conference', conference: 'support-42', mode: 'whisper' }, 'k1'),
      ev('participant.joined', { participantId: 'caller', role: 'caller', legRef: 'CA1', language: 'es' }, 'k1'),
      ev('participant.joined', { participantId: 'party-1', role: 'participant', legRef: 'CA3', language: 'en' }, 'k1'),
    ]);
    const said = (participantId?: string) => ev('utterance.final', { routeId: 'to:es', ...(participantId ? { participantId } : {}), source: { text: 'Hi.', languageCode: 'en' }, translation: { text: 'Hola.', languageCode: 'es' }, startMs: 0 }, 'k1');
    calls = [said('party-1'), said()].reduce(applyEvent, calls);
    expect(calls.k1.captions.map((c) => speakerOf(calls.k1, c.routeId, c.participantId))).toEqual(['participant CA3', 'unknown speaker']);
    expect(speakerOf(calls.k1, 'to:en', 'caller')).toBe('caller');
    expect(speakerOf(calls.k1, 'to:en')).toBe('unknown speaker');
  });

  it("names a conference's utterance in progress by the one party there who speaks its language, and nobody where two might", () => {
    let calls = fromSnapshot([
      ev('call.created', { kind: 'conference', conference: 'support-42', mode: 'whisper' }, 'k1'),
      ev('participant.joined', { participantId: 'caller', role: 'caller', legRef: 'CA1', language: 'es' }, 'k1'),
      ev('participant.joined', { participantId: 'party-1', role: 'participant', legRef: 'CA3', language: 'en' }, 'k1'),
      ev('participant.joined', { participantId: 'party-2', role: 'participant', legRef: 'CA4', language: 'en' }, 'k1'),
    ]);
    const saying = (routeId: string, languageCode: string) => ev('utterance.partial', { routeId, side: 'source', text: '...', languageCode }, 'k1');
    calls = [saying('to:en', 'es-ES'), saying('to:es', 'en')].reduce(applyEvent, calls);
    expect(partialSpeaker(calls.k1, calls.k1.routes['to:en'])).toBe('caller');
    expect(partialSpeaker(calls.k1, calls.k1.routes['to:es'])).toBe('unknown speaker');
    // A route that hears one party names them in its events.
    calls = applyEvent(calls, ev('utterance.partial', { routeId: 'to:es', participantId: 'party-2', side: 'source', text: '...' }, 'k1'));
    expect(partialSpeaker(calls.k1, calls.k1.routes['to:es'])).toBe('participant CA4');
  });

  it("keeps a caption's speaker as named when it arrived, after that participant has left", () => {
    let calls = fromSnapshot([
      ev('call.created', { kind: 'conference', conference: 'support-42', mode: 'whisper' }, 'k1'),
      ev('participant.joined', { participantId: 'party-1', role: 'participant', legRef: 'CA3', language: 'en' }, 'k1'),
      ev('utterance.final', { routeId: 'to:es', participantId: 'party-1', source: { text: 'Bye.', languageCode: 'en' }, translation: { text: 'Adiós.', languageCode: 'es' }, startMs: 0 }, 'k1'),
      ev('participant.left', { participantId: 'party-1' }, 'k1'),
    ]);
    expect(calls.k1.participants).not.toHaveProperty('party-1');
    expect(calls.k1.captions.map((c) => c.speaker)).toEqual(['participant CA3']);
    // Their last words, translated after they left, name them too.
    calls = applyEvent(calls, ev('utterance.final', { routeId: 'to:es', participantId: 'party-1', source: { text: 'Thanks.', languageCode: 'en' }, translation: { text: 'Gracias.', languageCode: 'es' }, startMs: 0 }, 'k1'));
    expect(calls.k1.captions.map((c) => c.speaker)).toEqual(['participant CA3', 'participant CA3']);
  });

  it('remembers the latest participants who left, and no more', () => {
    const comings = Array.from({ length: GONE_KEPT + 5 }, (_, i) => [
      ev('participant.joined', { participantId: `party-${i}`, role: 'participant', legRef: `CA${i}` }, 'k1'),
      ev('participant.left', { participantId: `party-${i}` }, 'k1'),
    ]).flat();
    const calls = fromSnapshot(comings);
    expect(calls.k1.gone?.map((p) => p.id)).toEqual(Array.from({ length: GONE_KEPT }, (_, i) => `party-${i + 5}`));
    expect(speakerOf(calls.k1, 'to:en', 'party-4')).toBe('unknown speaker');
    expect(speakerOf(calls.k1, 'to:en', 'party-5')).toBe('participant CA5');
  });

  it('shows a call tolk places as retrying while its next attempt is due, and as calling again once it starts', () => {
    let calls = fromSnapshot([ev('call.state', { from: 'scheduled', to: 'calling', trigger: 'due' })]);
    expect(stateLabel(calls.c1)).toBe('calling');
    calls = applyEvent(calls, ev('call.state', { from: 'calling', to: 'scheduled', trigger: 'customer-status', status: 'busy' }));
    expect(stateLabel(calls.c1)).toBe('retrying');
    // A viewer arriving now gets the same from the call's snapshot.
    expect(stateLabel(fromSnapshot([ev('call.state', { from: 'calling', to: 'scheduled', trigger: 'customer-status' })]).c1)).toBe('retrying');
    calls = applyEvent(calls, ev('call.state', { from: 'scheduled', to: 'calling', trigger: 'due' }));
    expect(stateLabel(calls.c1)).toBe('calling');
  });

  it("says how long an ended call was connected, as History does, or that it never was; never its time since it started", () => {
    let calls = fromSnapshot([ev('call.created', {}, 'talked', 0), ev('call.created', {}, 'busy', 0)]);
    calls = applyEvent(calls, ev('call.ended', { outcome: 'completed', durationMs: 95_400 }, 'talked', 120_000));
    calls = applyEvent(calls, ev('call.ended', { outcome: 'busy' }, 'busy', 20_000));
    expect(endedText(calls.talked.ended!)).toBe('1 min 35 s connected');
    expect(endedText(calls.busy.ended!)).toBe('not answered');
  });

  it("counts a call's talk time from when it was answered, never from its start; a call still ringing says it rings", () => {
    let calls = fromSnapshot([ev('call.created', { kind: 'direct', number: '+15550001111' }, 'c1', 0), ev('call.state', { from: 'answered', to: 'dialing' }, 'c1', 1_000)]);
    calls = applyEvent(calls, ev('call.state', { from: 'dialing', to: 'ringing' }, 'c1', 2_000));
    expect(talkText(calls.c1, 14_000)).toBe('ringing, not connected yet');
    calls = applyEvent(calls, ev('call.state', { from: 'ringing', to: 'connecting' }, 'c1', 14_000));
    expect(talkText(calls.c1, 15_000)).toBe('not connected yet');
    calls = applyEvent(calls, ev('call.state', { from: 'connecting', to: 'bridged' }, 'c1', 15_000));
    // 80 s after it started, 65 s after it was answered.
    expect(talkText(calls.c1, 80_000)).toBe('connected for 1 min 05 s');
    expect(connectedHow(calls.c1)).toBeUndefined();
    // A viewer arriving now gets the same from the call's snapshot (its latest state).
    expect(talkText(fromSnapshot([ev('call.created', { kind: 'direct' }, 'c1', 0), ev('call.state', { from: 'connecting', to: 'bridged' }, 'c1', 15_000)]).c1, 80_000)).toBe('connected for 1 min 05 s');
    calls = applyEvent(calls, ev('call.ended', { outcome: 'completed', durationMs: 70_000 }, 'c1', 85_000));
    expect(talkText(calls.c1, 90_000)).toBe('1 min 10 s connected');
  });

  it("counts a conference's talk time from its parties' connection (call.connected), not from its interpretation starting, and says how they were connected", () => {
    let calls = fromSnapshot([ev('call.created', { kind: 'conference', conference: 'support-42', mode: 'whisper' }, 'k1', 0)]);
    // tolk's leg whispering to the caller joined: interpreted, while the agent's phone still rings.
    calls = applyEvent(calls, ev('call.state', { from: 'answered', to: 'bridged', trigger: 'interpreter-joined' }, 'k1', 2_000));
    expect(talkText(calls.k1, 8_000)).toBe('not connected yet');
    calls = applyEvent(calls, ev('call.connected', { trigger: 'agent-joined' }, 'k1', 8_000));
    expect(talkText(calls.k1, 20_000)).toBe('connected for 12 s');
    expect(connectedHow(calls.k1)).toBe('the agent joined the caller');
    expect(connectedHow(fromSnapshot([ev('call.connected', { trigger: 'parties-in-room' }, 'k2', 0)]).k2)).toBe('both parties were in the conference');
  });

  it('says in words when interpretation is unavailable, to everyone or to one party, and why', () => {
    let calls = fromSnapshot([
      ev('call.created', { kind: 'conference', conference: 'support-42', mode: 'whisper' }, 'k1'),
      ev('participant.joined', { participantId: 'caller', role: 'caller', legRef: 'CA1', language: 'es' }, 'k1'),
      ev('participant.joined', { participantId: 'party-1', role: 'participant', legRef: 'CA3', language: 'en' }, 'k1'),
    ]);
    expect(unavailableTexts(calls.k1)).toEqual([]);
    calls = applyEvent(calls, ev('interpreter.unavailable', { reason: 'Twilio 21218: Invalid ApplicationSid', told: ['CA3'], party: 'CA3' }, 'k1'));
    expect(unavailableTexts(calls.k1)).toEqual(['Interpretation unavailable to participant CA3: Twilio 21218: Invalid ApplicationSid. The others are interpreted.']);
    const whole = fromSnapshot([ev('interpreter.unavailable', { reason: 'coaching refused (16000)', told: ['CA1', 'CA3'] }, 'k2')]);
    expect(unavailableTexts(whole.k2)).toEqual(['Interpretation unavailable: coaching refused (16000). The parties talk uninterpreted.']);
  });

  it("learns a moved call from the instance serving it now when it never saw the call start, and keeps what it saw when it did", () => {
    const made = { number: '+15550001111', from: '+34600000000', destination: '+15550002222', state: 'bridged', startedAt: 500, answeredAt: 700 };
    const unseen = fromSnapshot([ev('call.moved', { kind: 'direct', from: 'tolk-a', to: 'tolk-b', direction: 'in', call: made }, 'm1', 2000)]);
    expect(unseen.m1).toMatchObject({ kind: 'direct', number: '+15550001111', state: 'bridged', startedAt: 500, connectedAt: 700 });
    expect(talkText(unseen.m1, 3700)).toBe('connected for 3 s');
    const seen = fromSnapshot([
      ev('call.created', { kind: 'direct', number: '+15550001111', from: '+34600000000', destination: '+15550002222' }, 'm2', 400),
      ev('call.state', { from: 'dialing', to: 'bridged' }, 'm2', 650),
      ev('call.moved', { kind: 'direct', from: 'tolk-a', to: 'tolk-b', direction: 'in', call: { ...made, answeredAt: 700 } }, 'm2', 2000),
    ]);
    expect(seen.m2).toMatchObject({ startedAt: 400, connectedAt: 650, state: 'bridged' });
    // The instance it left says nothing of what it is.
    expect(fromSnapshot([ev('call.moved', { kind: 'direct', from: 'tolk-a', to: 'tolk-b', direction: 'out' }, 'm3')]).m3).toMatchObject({ state: 'starting' });
  });

  it('drops the note that interpretation is unavailable once it is back, for the whole call or for the one party', () => {
    let calls = fromSnapshot([
      ev('interpreter.unavailable', { reason: 'Twilio 503', told: ['CA1'], party: 'CA1' }, 'b1'),
      ev('interpreter.unavailable', { reason: 'Twilio 503', told: ['CA1', 'CA2'] }, 'b1'),
    ]);
    expect(unavailableTexts(calls.b1)).toHaveLength(2);
    calls = applyEvent(calls, ev('interpreter.available', { told: ['CA2'] }, 'b1'));
    expect(unavailableTexts(calls.b1)).toEqual([expect.stringMatching(/^Interpretation unavailable to the party on CA1/)]);
    calls = applyEvent(calls, ev('interpreter.available', { told: ['CA1'], party: 'CA1' }, 'b1'));
    expect(unavailableTexts(calls.b1)).toEqual([]);
  });
});
