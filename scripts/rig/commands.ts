/**
 * How a rig process answers the bench's commands (Node IPC): each command is answered once, with its
 * reply or, when handling it failed, with `failed` and the reason; a failure is reported (`onError`)
 * and the process goes on answering the next.
 */

/** The answer to a command whose handling threw (or that the process does not know). */
export interface FailedReply {
  type: 'failed';
  command: string;
  error: string;
}

/** The listener for `process.on('message')`: `handle` answers each command, `send` replies. */
export function commandListener<Cmd extends { type: string }, Reply>(
  handle: (cmd: Cmd) => Reply | Promise<Reply>,
  send: (r: Reply | FailedReply) => void,
  onError: (command: string, error: string) => void,
): (cmd: Cmd) => void {
  return (cmd) => {
    void (async () => {
      try {
        send(await handle(cmd));
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        const command = String(cmd.type);
        onError(command, error);
        try {
          send({ type: 'failed', command, error });
        } catch {
          // The bench has gone: nobody is waiting for the answer.
        }
      }
    })();
  };
}
