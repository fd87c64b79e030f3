// HTTP Basic auth as api.twilio.com does it: AccountSid:AuthToken, or an API key SID (SK...) and
// its secret; the account in the path must be the authenticated one.
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { sendTwilioError } from './errors';

export interface Credentials {
  accountSid: string;
  authToken: () => string;
  apiKeys: ReadonlyMap<string, string>;
}

const same = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export function basicAuth(creds: Credentials) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const h = req.headers.authorization ?? '';
    const m = /^Basic\s+(.+)$/i.exec(h);
    const decoded = m ? Buffer.from(m[1], 'base64').toString('utf8') : '';
    const i = decoded.indexOf(':');
    const user = i >= 0 ? decoded.slice(0, i) : '';
    const pass = i >= 0 ? decoded.slice(i + 1) : '';
    const ok =
      (user === creds.accountSid && same(pass, creds.authToken())) ||
      (creds.apiKeys.has(user) && same(pass, creds.apiKeys.get(user)!));
    if (!ok) {
      res.setHeader('WWW-Authenticate', 'Basic realm="Twilio API"');
      sendTwilioError(res, 401, 20003, 'Authenticate');
      return;
    }
    if (req.params.AccountSid !== undefined && req.params.AccountSid !== creds.accountSid) {
      sendTwilioError(res, 404, 20404, `The requested resource ${req.path} was not found`);
      return;
    }
    next();
  };
}
