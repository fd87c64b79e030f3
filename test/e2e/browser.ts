/**
 * Browser side of the console's end-to-end tests: builds the console once per test file (Vite,
 * into a temporary folder), drives Debian's Chromium through playwright-core, and takes the
 * screenshots the README shows. `scripts/test-services.sh` installs Chromium on a fresh machine.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.TOLK_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = path.join(__dirname, '..', '..');
/** Committed screenshots (README); written only with UPDATE_SCREENSHOTS=1, else to $TMPDIR. */
export const SCREENSHOT_DIR = process.env.UPDATE_SCREENSHOTS === '1' ? path.join(ROOT, 'console', 'screenshots') : path.join(os.tmpdir(), 'tolk-e2e', 'console');

let built: Promise<string> | undefined;

/** Builds the console with Vite into a temporary folder (once per test file); resolves to it. */
export function buildConsole(): Promise<string> {
  built ??= (async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-console-build-'));
    await promisify(execFile)(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', path.join(ROOT, 'console', 'vite.config.mjs'), '--outDir', out, '--emptyOutDir'], {
      cwd: ROOT,
      timeout: 120_000,
    });
    if (!fs.existsSync(path.join(out, 'index.html'))) throw new Error(`vite build wrote no index.html into ${out}`);
    return out;
  })();
  return built;
}

/** Flags every test browser runs with (a closed network, a root user, no GPU). */
const BASE_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

/** Launches headless Chromium (Playwright gives it a fresh --user-data-dir). */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/test-services.sh (it installs Debian's chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...BASE_FLAGS, ...extraArgs] });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Signs in through the sign-in form. */
export async function signIn(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/console/`);
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Errors the page reported (uncaught exceptions, console errors, CSP violations). */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/** axe-core's source, injected into pages under test (through the DevTools protocol: the CSP does not apply). */
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * The page's accessibility problems by WCAG 2 A and AA rules (labels, names, roles, contrast,
 * ...), as `rule: element` lines; [] when axe-core finds none.
 */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate<{ violations: { id: string; help: string; nodes: { target: unknown[] }[] }[] }>(
    `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })`,
  );
  return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.help}): ${JSON.stringify(n.target)}`));
}
