/**
 * The call core's answers (`CallAnswer`) as TwiML: connecting a leg's media is a
 * `<Connect><Stream>` with a fresh single-use stream token for that leg and endpoint (the caller's
 * greeting first), the language menu a `<Gather>` whose answer comes back to the voice webhook
 * with `?step=language&call=<id>`, and say-and-hang-up a `<Say>` then `<Hangup>`.
 */
import type { CallAnswer } from '../call/ports';
import { CALL_ID_PARAM, STEP_PARAM } from './call-params';
import { TWILIO_PATHS } from './module';
import { webhookUrl } from './signature';
import type { StreamTokens } from './stream-token';
import type { TwimlDocuments, TwimlRenderer } from './twiml';

export interface CallAnswerRendererDeps {
  twiml: TwimlRenderer;
  tokens: StreamTokens;
  /** PUBLIC_URL. */
  publicUrl: string;
  /** wss URL of the media endpoint. */
  streamUrl: string;
}

export type CallAnswerRenderer = (answer: CallAnswer) => string;

export function createCallAnswerRenderer(deps: CallAnswerRendererDeps): CallAnswerRenderer {
  return (answer) => {
    switch (answer.type) {
      case 'connect': {
        const stream = {
          streamUrl: deps.streamUrl,
          token: deps.tokens.issue({ callSid: answer.legRef, role: answer.endpoint }),
          role: answer.endpoint,
        };
        if (!answer.announce) return deps.twiml.render('agent-stream', stream);
        return deps.twiml.render('caller-stream', { ...stream, greeting: answer.announce.greeting ?? '', language: answer.announce.locale });
      }
      case 'language-menu': {
        const values: Record<string, string> = {
          action: webhookUrl(deps.publicUrl, `${TWILIO_PATHS.voice}?${STEP_PARAM}=language&${CALL_ID_PARAM}=${encodeURIComponent(answer.callId)}`),
        };
        answer.options.slice(0, 9).forEach((o, i) => {
          values[`option${i + 1}`] = o.text;
          values[`locale${i + 1}`] = o.locale;
        });
        return deps.twiml.render('language-menu', values as TwimlDocuments['language-menu']);
      }
      case 'say-and-hang-up':
        return deps.twiml.render('say-hangup', { message: answer.text, language: answer.locale });
      case 'conference':
        return deps.twiml.render('caller-conference', {
          name: answer.conference,
          statusCallback: webhookUrl(deps.publicUrl, `${TWILIO_PATHS.conference}?${CALL_ID_PARAM}=${encodeURIComponent(answer.callId)}`),
          greeting: answer.announce?.greeting ?? '',
          language: answer.announce?.locale,
        });
    }
  };
}
