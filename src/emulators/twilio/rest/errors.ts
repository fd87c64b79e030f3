// Twilio REST error bodies: {code, message, more_info, status}.
import type { Response } from 'express';

export function sendTwilioError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
}
