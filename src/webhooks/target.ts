/**
 * Where a webhook may go. A number's settings name any URL, so before anything is sent tolk checks
 * that it is https (plain http only with TOLK_ALLOW_HTTP_WEBHOOKS) and that its host resolves only to
 * public addresses: loopback, private, link-local, unique-local, carrier-grade NAT, multicast and
 * reserved ranges are refused (TOLK_ALLOW_PRIVATE_WEBHOOKS lifts this, for tests and a receiver on
 * the same network). The check runs inside the connection's own DNS lookup, so the address checked
 * is the address connected to (no second lookup an attacker's DNS could answer differently).
 */
import dns from 'node:dns';
import net, { type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface TargetPolicy {
  allowHttp: boolean;
  allowPrivate: boolean;
}

export class RefusedTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedTargetError';
  }
}

/** Throws RefusedTargetError when the URL's scheme is not allowed. */
export function checkScheme(url: URL, policy: TargetPolicy): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && policy.allowHttp) return;
  throw new RefusedTargetError(url.protocol === 'http:' ? `refused ${url.origin}: plain http (set TOLK_ALLOW_HTTP_WEBHOOKS=true to allow it)` : `refused ${url.protocol} URL: only https`);
}

/**
 * Throws RefusedTargetError for a URL whose host is a refused address written out (`127.0.0.1`,
 * `[::1]`): a connection to an address needs no DNS lookup, so `guardedLookup` never sees it.
 */
export function checkLiteralHost(url: URL, policy: TargetPolicy): void {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (policy.allowPrivate || net.isIP(host) === 0) return;
  if (isNonPublicAddress(host)) throw new RefusedTargetError(`refused ${url.host}: a loopback, private or reserved address (set TOLK_ALLOW_PRIVATE_WEBHOOKS=true to allow it)`);
}

/**
 * Why a webhook URL will be refused whatever its host resolves to (its scheme, an address written
 * out, a localhost name), or undefined: what can be known before any delivery, so a configured URL
 * is checked when tolk starts rather than when the first call has ended.
 */
export function refusedBeforeLookup(url: URL, policy: TargetPolicy): string | undefined {
  try {
    checkScheme(url, policy);
    checkLiteralHost(url, policy);
  } catch (err) {
    if (err instanceof RefusedTargetError) return err.message;
    throw err;
  }
  const host = url.hostname.toLowerCase();
  if (!policy.allowPrivate && (host === 'localhost' || host.endsWith('.localhost'))) {
    return `refused ${url.host}: it is this machine (set TOLK_ALLOW_PRIVATE_WEBHOOKS=true to allow it)`;
  }
  return undefined;
}

/** True for an address a webhook must not reach by default. */
export function isNonPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  return ip.range() !== 'unicast';
}

/** A DNS lookup for http(s).request that fails when any address the host resolves to is refused. */
export function guardedLookup(policy: TargetPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) {
        callback(err, '', 0);
        return;
      }
      const list = addresses;
      if (!policy.allowPrivate) {
        const bad = list.find((a) => isNonPublicAddress(a.address));
        if (bad) {
          callback(new RefusedTargetError(`refused ${hostname}: it resolves to ${bad.address}, a loopback, private or reserved address (set TOLK_ALLOW_PRIVATE_WEBHOOKS=true to allow it)`), '', 0);
          return;
        }
      }
      if (options.all) callback(null, list);
      else callback(null, list[0].address, list[0].family);
    });
  };
}
