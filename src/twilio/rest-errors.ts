/** Errors from Twilio's REST API, as tolk's own typed error. */

export interface TwilioApiErrorInit {
  /** HTTP status; 0 when no response arrived (network failure, timeout). */
  status: number;
  message: string;
  /** Twilio error code (e.g. 20404, 21211). */
  code?: number;
  /** Link to Twilio's page for the code. */
  moreInfo?: string;
  /** Attempts made, retries included. */
  attempts?: number;
  cause?: unknown;
}

export class TwilioApiError extends Error {
  readonly status: number;
  readonly code: number | undefined;
  readonly moreInfo: string | undefined;
  readonly attempts: number;

  constructor(init: TwilioApiErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'TwilioApiError';
    this.status = init.status;
    this.code = init.code;
    this.moreInfo = init.moreInfo;
    this.attempts = init.attempts ?? 1;
  }

  /** True for statuses worth retrying: 429 and 5xx. */
  get retryable(): boolean {
    return isRetryableStatus(this.status);
  }
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/** Converts whatever the twilio SDK threw (RestException, axios/network error) to TwilioApiError. */
export function toTwilioApiError(err: unknown, attempts?: number): TwilioApiError {
  if (err instanceof TwilioApiError) return err;
  if (typeof err === 'object' && err !== null) {
    const e = err as { status?: unknown; code?: unknown; message?: unknown; moreInfo?: unknown };
    const message = typeof e.message === 'string' && e.message ? e.message : 'Twilio request failed';
    if (typeof e.status === 'number') {
      return new TwilioApiError({
        status: e.status,
        message,
        code: typeof e.code === 'number' ? e.code : undefined,
        moreInfo: typeof e.moreInfo === 'string' ? e.moreInfo : undefined,
        attempts,
        cause: err,
      });
    }
    return new TwilioApiError({ status: 0, message: `Twilio unreachable: ${message}`, attempts, cause: err });
  }
  return new TwilioApiError({ status: 0, message: `Twilio request failed: ${String(err)}`, attempts });
}

/** A Twilio REST failure worth another attempt later (429, 5xx), for the job queues' retries. */
export function isRetryableTwilioError(err: unknown): boolean {
  return err instanceof TwilioApiError && err.retryable;
}
