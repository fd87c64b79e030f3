/** What a person starting an emulator is told when it cannot listen where they asked. */

/**
 * One line naming the address and what to do about it, for an error from listening on a port
 * that is taken, privileged or not this machine's; undefined for any other error.
 */
export function listenProblem(name: string, err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  const where = `${e.address ?? 'this address'}:${e.port ?? '?'}`;
  switch (e?.code) {
    case 'EADDRINUSE':
      return `${name}: port ${e.port ?? '?'} is already in use on ${e.address ?? 'this address'} (another emulator, or another program): stop it, or choose another port with --port`;
    case 'EACCES':
      return `${name}: cannot listen on ${where} without more privileges: choose a port above 1023 with --port`;
    case 'EADDRNOTAVAIL':
      return `${name}: ${e.address ?? 'the address'} is not an address of this machine: choose another with --host`;
    default:
      return undefined;
  }
}

/**
 * Starts an emulator with `start`; when it cannot listen where asked, says why in one line on
 * stderr, sets the exit code to 1 and resolves undefined. Any other error is thrown.
 */
export async function startOrExplain<T>(name: string, start: () => Promise<T>): Promise<T | undefined> {
  try {
    return await start();
  } catch (err) {
    const problem = listenProblem(name, err);
    if (!problem) throw err;
    process.stderr.write(`${problem}\n`);
    process.exitCode = 1;
    return undefined;
  }
}
