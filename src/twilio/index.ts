/** The Twilio edge: webhooks, Media Streams, stream tokens, TwiML rendering and the REST client. */
export * from './counters';
export * from './media-clock';
export * from './media-leg';
export * from './media-messages';
export * from './media-stream';
export * from './module';
export * from './rest-client';
export * from './rest-errors';
export * from './rest-http-client';
export * from './signature';
export * from './stream-token';
export * from './twiml';
export * from './webhook-params';
