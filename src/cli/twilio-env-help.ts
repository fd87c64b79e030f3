/** The environment `configure-number` reads, as its help shows it (kept apart from the Twilio SDK). */
export const CONFIGURE_NUMBER_ENV_HELP = `Environment (or .env):
  PUBLIC_URL          https base URL where Twilio reaches tolk (required)
  TWILIO_ACCOUNT_SID  AC... account that owns the number (required)
  TWILIO_AUTH_TOKEN   that account's auth token (required)
  TWILIO_API_URL      REST API base URL, only to target an emulator (optional)
  LOG_LEVEL           debug (or trace) also prints tolk's JSON log lines, e.g. each retried request (optional)
`;
