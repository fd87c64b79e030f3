/**
 * Composition root: the only place where configuration is read and concrete implementations are
 * created and wired together. Everything below `src/` receives its dependencies from here.
 */
import { ConfigError, loadConfig, type Config } from './config/env';
import { createLogger, type Logger } from './log/logger';
import { Readiness } from './http/readiness';
import { createHttpServer, type HttpServer } from './http/server';

export interface App {
  config: Config;
  logger: Logger;
  http: HttpServer;
  stop(): Promise<void>;
}

export async function startApp(config: Config, logger: Logger): Promise<App> {
  const readiness = new Readiness();
  const http = createHttpServer({ logger, readiness, trustProxy: config.TRUST_PROXY, modules: [] });
  const address = await http.listen(config.PORT, config.HOST);
  logger.info({ event: 'server.listening', port: address.port, host: config.HOST }, 'tolk listening');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      readiness.startDraining();
      logger.info({ event: 'server.draining' }, 'draining');
      await http.close();
      logger.info({ event: 'server.stopped' }, 'stopped');
    })();
    return stopping;
  };
  return { config, logger, http, stop };
}

function loadDotEnv(): void {
  try {
    process.loadEnvFile?.('.env');
  } catch {
    // no .env file: the environment alone configures tolk
  }
}

async function main(): Promise<void> {
  loadDotEnv();
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tolk: ${err.message}\nSee .env.example and the README's Configuration section.\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = createLogger({ level: config.LOG_LEVEL });
  process.on('unhandledRejection', (reason) => {
    logger.error({ event: 'process.unhandled_rejection', err: reason }, 'unhandled promise rejection');
  });
  const app = await startApp(config, logger);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      logger.info({ event: 'process.signal', signal: sig }, 'shutting down');
      const timer = setTimeout(() => process.exit(1), config.SHUTDOWN_GRACE_MS + 1000);
      timer.unref();
      void app.stop().then(() => {
        logger.flush();
        process.exit(0);
      });
    });
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`tolk: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
