/**
 * `.env` in the working folder, read by every entry point that takes configuration (the server,
 * the `tolk` CLI, `npm run configure-number`) the same way: a variable already set in the
 * environment wins over the file, even when it is set to an empty value. No file, no change.
 */
import fs from 'node:fs';
import path from 'node:path';

export const DOTENV_FILE = '.env';

/**
 * Loads `file` (default `.env` in the working folder) into `process.env` if it exists. Returns the
 * file's absolute path when one was read; throws an Error naming the file if it exists but cannot
 * be read.
 */
export function loadDotEnv(file = DOTENV_FILE): string | undefined {
  const full = path.resolve(file);
  if (!fs.existsSync(full)) return undefined;
  try {
    process.loadEnvFile(full);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot read ${full} (${code ?? (err instanceof Error ? err.message : String(err))})`);
  }
  return full;
}
