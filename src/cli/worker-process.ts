/**
 * `tolk worker` on this process: validates the environment, starts the worker and stops it on
 * SIGINT/SIGTERM once its running jobs are done; a later request (see stop-signals.ts) stops it at
 * once, leaving its running jobs to be taken over by another worker.
 */
import { ConfigError, loadConfig } from '../config/env';
import { StartupError } from '../config/startup-error';
import { createLogger } from '../log/logger';
import { onStopSignals, SAME_REQUEST_MS } from '../stop-signals';
import { startWorker } from '../worker';
import type { CliIo } from './context';

/** Resolves once the worker has stopped; with a message when it could not start for a reason the operator can fix. */
export async function runWorkerProcess(env: NodeJS.ProcessEnv, _io: CliIo): Promise<string | undefined> {
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return `${err.message}\nSee .env.example and the README's Configuration section.`;
    throw err;
  }
  const logger = createLogger({ level: config.LOG_LEVEL });
  let worker;
  try {
    worker = await startWorker(config, logger);
  } catch (err) {
    logger.flush();
    if (err instanceof StartupError) return err.message;
    throw err;
  }
  const running = worker;
  let stopListening = (): void => undefined;
  await new Promise<void>((resolve) => {
    stopListening = onStopSignals({
      first(sig) {
        logger.info({ event: 'process.signal', signal: sig }, 'worker shutting down once its running jobs are done');
        void running.stop().then(resolve, resolve);
      },
      again(sig) {
        logger.warn({ event: 'process.signal', signal: sig }, 'second signal: worker stopping now; another worker takes over its running jobs');
        logger.flush();
        process.exit(1);
      },
      repeated: (sig) => logger.info({ event: 'process.signal_repeated', signal: sig }, `${sig} within ${SAME_REQUEST_MS / 1000} s of the last signal: the same request`),
    });
  });
  stopListening();
  logger.flush();
  return undefined;
}
