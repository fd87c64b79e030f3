/**
 * `GET /api/live/events`: the calls in progress as Server-Sent Events, one connection per viewer
 * for every call (never one request per call). First a `snapshot` (every call in progress as call
 * events to replay) or, for a client that reconnects with `Last-Event-ID`, the events it missed;
 * then each call event as it happens (`message` events whose data is one call event, see
 * src/call/events.ts). Heartbeat comments every 15 s; a client that falls more than 1 MiB behind
 * is dropped (it reconnects and resumes).
 */
import { TooManyViewersError, type FeedMessage } from '../../live/live-feed';
import { openSse, type SseOptions, type SseStream } from '../sse';
import { ref, withService, type ApiRoute } from './api-route';

export const LIVE_SSE: Omit<SseOptions, 'stillAllowed'> = { heartbeatMs: 15_000, maxBufferedBytes: 1024 * 1024, retryMs: 2000 };

const MAX_EVENT_ID_LENGTH = 64;

export function liveRoutes(sse: Omit<SseOptions, 'stillAllowed'> = LIVE_SSE): readonly ApiRoute[] {
  return [
    {
      method: 'get',
      path: '/live/events',
      doc: {
        operationId: 'streamLiveEvents',
        summary: 'The calls in progress and everything that happens in them, as Server-Sent Events',
        description:
          'A `snapshot` event first (data: `{"events": [...]}`, every call in progress as the call events that describe it, to replay in order), ' +
          'then one `message` per call event (call.created, call.state, call.ended, participant.*, utterance.partial, utterance.final, ' +
          'utterance.latency, language.detected, session.state; each with `callId` and `at`). Every event has an id: reconnect with ' +
          '`Last-Event-ID` to get the events missed instead of a new snapshot. Authenticated like the rest of the API ' +
          '(bearer token, or the console session cookie). 503 with `Retry-After` when 100 viewers are already connected.',
        responses: {
          200: { description: 'The event stream', contentType: 'text/event-stream', schema: { type: 'string' } },
          501: { description: 'This tolk has no live feed', schema: ref('Error') },
        },
      },
      handler: ({ live, stillAuthorized, logger }) =>
        withService(live, 'live events are not available on this server', (live) => (req, res) => {
          const header = req.get('last-event-id');
          const lastEventId = header !== undefined && header.length <= MAX_EVENT_ID_LENGTH ? header : undefined;
          // The stream opens once the feed has taken the viewer (or refused it with a plain 503).
          const opened: { stream?: SseStream } = {};
          const send = (m: FeedMessage): void => {
            if (m.kind === 'snapshot') opened.stream?.send({ id: m.id, event: 'snapshot', data: { events: m.events } });
            else opened.stream?.send({ id: m.id, data: m.event });
          };
          let joined: ReturnType<typeof live.join>;
          try {
            joined = live.join({ send, end: () => opened.stream?.end('server-closed') }, lastEventId);
          } catch (err) {
            if (!(err instanceof TooManyViewersError)) throw err;
            res.status(503).set('Retry-After', '10').json({ error: err.message });
            return;
          }
          opened.stream = openSse(req, res, { ...sse, ...(stillAuthorized ? { stillAllowed: stillAuthorized(req) } : {}) }, (reason) => {
            joined.leave();
            if (reason === 'too-slow') logger?.warn({ event: 'live.viewer_dropped', viewers: live.viewerCount }, 'a live viewer fell too far behind and was dropped');
          });
          for (const m of joined.first) send(m);
        }),
    },
  ];
}
