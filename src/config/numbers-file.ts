/**
 * The numbers file (`TOLK_NUMBERS`, YAML): a top-level `numbers:` list of per-number settings.
 * Parsed and validated once at start-up; every problem is reported at once, naming the entry,
 * the field and the line, so an operator can fix the file in one pass.
 */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { isMap, isNode, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { StaticNumberDirectory, type NumberDirectory, type NumberSettings } from './numbers';
import { quoted, validateNumberSettings } from './numbers-schema';

export class NumbersConfigError extends Error {
  constructor(
    public readonly problems: string[],
    source = 'numbers file',
  ) {
    super(`Invalid ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'NumbersConfigError';
  }
}

type Path = (string | number)[];

/** Largest numbers file read: thousands of numbers fit in far less. */
export const MAX_NUMBERS_FILE_BYTES = 1024 * 1024;
/** Syntax errors named one by one; the rest are counted. */
const MAX_SYNTAX_ERRORS_LISTED = 20;
/** Longest YAML parser message quoted (it quotes the offending token, which may be the whole line). */
const MAX_SYNTAX_MESSAGE_LENGTH = 160;

function briefly(message: string): string {
  return message.length > MAX_SYNTAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_SYNTAX_MESSAGE_LENGTH)}...` : message;
}

const TOO_LARGE = `the file is larger than ${MAX_NUMBERS_FILE_BYTES / 1024 / 1024} MiB; split it, or remove what is not numbers`;

/**
 * Parses and validates the YAML text of a numbers file. Throws NumbersConfigError listing every
 * syntax error (with line and column), invalid setting and duplicate number.
 */
export function parseNumbers(yamlText: string, source?: string): NumberSettings[] {
  if (yamlText.length > MAX_NUMBERS_FILE_BYTES) throw new NumbersConfigError([TOO_LARGE], source);
  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter, prettyErrors: true, logLevel: 'error' });

  if (doc.errors.length > 0) {
    const problems = doc.errors.slice(0, MAX_SYNTAX_ERRORS_LISTED).map((e) => {
      const pos = e.linePos?.[0];
      const where = pos ? `line ${pos.line}, column ${pos.col}: ` : '';
      return `${where}YAML syntax error: ${briefly(e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''))}`;
    });
    const unlisted = doc.errors.length - problems.length;
    if (unlisted > 0) problems.push(`and ${unlisted} more YAML syntax error${unlisted === 1 ? '' : 's'}`);
    throw new NumbersConfigError(problems, source);
  }

  const lineOf = (path: Path): number | undefined => {
    // The node at the path, or its nearest existing ancestor (for a missing field: its entry).
    for (let n = path.length; n >= 0; n--) {
      const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      if (isNode(node) && (node as Node).range) return lineCounter.linePos((node as Node).range![0]).line;
    }
    return undefined;
  };
  const at = (path: Path) => {
    const line = lineOf(path);
    return line === undefined ? '' : ` (line ${line})`;
  };

  const root = doc.contents;
  if (!isMap(root) || !root.has('numbers')) {
    throw new NumbersConfigError(['expected a top-level `numbers:` list of entries'], source);
  }
  const problems: string[] = [];
  for (const pair of root.items) {
    const key = isNode(pair.key) ? String((pair.key as { toJSON(): unknown }).toJSON()) : String(pair.key);
    if (key !== 'numbers') problems.push(`unknown top-level key ${quoted(key)}; only 'numbers' is allowed${at([key])}`);
  }
  const list = root.get('numbers', true);
  if (!isSeq(list)) {
    throw new NumbersConfigError([...problems, `numbers: must be a list of entries${at(['numbers'])}`], source);
  }

  let entries: unknown[];
  try {
    entries = (doc.toJS() as { numbers: unknown[] }).numbers;
  } catch (err) {
    // What the parser lets through but cannot turn into data: an alias to no anchor, an alias bomb.
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 200);
    throw new NumbersConfigError([...problems, `YAML error: ${message}`], source);
  }
  const settings: NumberSettings[] = [];
  const firstIndex = new Map<string, number>();
  entries.forEach((entry, i) => {
    const rawNumber = (entry as { number?: unknown } | null)?.number;
    const label = `numbers[${i}]${typeof rawNumber === 'string' ? ` (${rawNumber.length > 40 ? `${rawNumber.slice(0, 40)}...` : rawNumber})` : ''}`;
    const result = validateNumberSettings(entry);
    if (!result.ok) {
      for (const p of result.problems) {
        const field = p.path.map((seg) => (typeof seg === 'number' ? `[${seg}]` : `.${seg}`)).join('');
        problems.push(`${label}${field}: ${p.message}${at(['numbers', i, ...p.path])}`);
      }
      return;
    }
    const previous = firstIndex.get(result.value.number);
    if (previous !== undefined) {
      problems.push(`${label}: duplicate number, already configured by numbers[${previous}]${at(['numbers', i, 'number'])}`);
      return;
    }
    firstIndex.set(result.value.number, i);
    settings.push(result.value);
  });

  if (problems.length > 0) throw new NumbersConfigError(problems, source);
  return settings;
}

/** The text of a numbers file, refused (NumbersConfigError) before reading if it is too large. */
export async function readNumbersFile(path: string, source = `numbers file ${path}`): Promise<string> {
  try {
    if ((await stat(path)).size > MAX_NUMBERS_FILE_BYTES) throw new NumbersConfigError([TOO_LARGE], source);
    return await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof NumbersConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new NumbersConfigError([`cannot read the file: ${readFailure(path, code) ?? String(err)}`], source);
  }
}

/** Why a file could not be read, in words, with the errno code; a relative path is shown resolved. */
function readFailure(path: string, code: string | undefined): string | undefined {
  const where = isAbsolute(path) ? '' : ` (looked for ${resolve(path)})`;
  if (code === 'ENOENT') return `no such file${where} (ENOENT)`;
  if (code === 'EACCES' || code === 'EPERM') return `permission denied (${code})`;
  if (code === 'EISDIR') return `it is a folder, not a file (EISDIR)`;
  return code;
}

/** Reads and validates the numbers file; throws NumbersConfigError. */
export async function loadNumbersFile(path: string): Promise<NumberDirectory> {
  const text = await readNumbersFile(path);
  return new StaticNumberDirectory(parseNumbers(text, `numbers file ${path}`));
}
