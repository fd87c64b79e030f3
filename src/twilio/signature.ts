/**
 * X-Twilio-Signature checks and the public URLs they are computed over. The URL is always built
 * from PUBLIC_URL (what Twilio was told), never from the Host header, which proxies rewrite.
 */
import twilio from 'twilio';

export type SignatureCheck = 'ok' | 'missing' | 'invalid';
export type WsSignatureMode = 'off' | 'log' | 'enforce';

/** PUBLIC_URL without a trailing slash. */
export function publicBase(publicUrl: string): string {
  return publicUrl.replace(/\/+$/, '');
}

/** The URL Twilio signed for a webhook request: PUBLIC_URL + path and query as received. */
export function webhookUrl(publicUrl: string, originalUrl: string): string {
  return publicBase(publicUrl) + originalUrl;
}

/**
 * `wss://<PUBLIC_URL host and base path>/twilio/media` (`ws://` when PUBLIC_URL is plain http); in a
 * cluster `/twilio/media/<instance>`, the path the load balancer routes to that instance.
 */
export function mediaStreamUrl(publicUrl: string, instance?: string): string {
  return publicBase(publicUrl).replace(/^http/, 'ws') + '/twilio/media' + (instance ? `/${instance}` : '');
}

export function checkSignature(
  authToken: string,
  header: string | string[] | undefined,
  url: string,
  params: Record<string, unknown>,
): SignatureCheck {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return 'missing';
  return twilio.validateRequest(authToken, value, url, params) ? 'ok' : 'invalid';
}
