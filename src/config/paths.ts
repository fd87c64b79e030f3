/**
 * Where tolk's own files are (twiml/ and its prompts), found from the running code whether it runs
 * from src/ (tsx) or from dist/src/ (compiled, `npm start`, the Docker image).
 */
import fs from 'node:fs';
import path from 'node:path';

function findProjectRoot(from: string): string {
  let dir = from;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'twiml'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find tolk's project folder (package.json and twiml/) above ${from}`);
    dir = parent;
  }
}

export const PROJECT_ROOT = findProjectRoot(__dirname);
export const TWIML_DIR = path.join(PROJECT_ROOT, 'twiml');
export const PROMPTS_DIR = path.join(TWIML_DIR, 'prompts');
