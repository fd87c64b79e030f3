/**
 * The least configuration tolk starts with in a test (loopback, any free port, placeholder Twilio
 * and Gemini credentials, SQLite in `dir`), plus `extra` settings.
 */
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config/env';

export function testAppConfig(dir: string, extra: Record<string, string> = {}): Config {
  return loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    PUBLIC_URL: 'https://tolk.example.com',
    TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32),
    TWILIO_AUTH_TOKEN: 'f'.repeat(32),
    GEMINI_API_KEY: 'key',
    TOLK_DB_PATH: path.join(dir, 'tolk.db'),
    ...extra,
  });
}
