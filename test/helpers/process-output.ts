import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';

/** What a child process wrote and how it ended. */
export interface ProcessOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Everything `child` writes to stdout and stderr, once it has exited; rejects if it cannot be started. */
export function outputOf(child: ChildProcessByStdio<null, Readable, Readable>): Promise<ProcessOutput> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
