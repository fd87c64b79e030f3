/** `tolk worker` on this process: validates the environment, starts the worker and stops it on SIGINT/SIGTERM. */
import { ConfigError, loadConfig } from '../config/env';
import { StartupError } from '../config/startup-error';
import { createLogger } from '../log/logger';
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
  await new Promise<void>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        logger.info({ event: 'process.signal', signal: sig }, 'worker shutting down');
        void worker.stop().then(resolve, resolve);
      });
    }
  });
  logger.flush();
  return undefined;
}
