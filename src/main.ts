/**
 * `npm start`: reads the environment (and `.env`), validates it once, starts tolk (app.ts is the
 * composition root), and shuts down gracefully on SIGINT/SIGTERM.
 */
import { startApp } from './app';
import { ConfigError, loadConfig, type Config } from './config/env';
import { NumbersConfigError } from './config/numbers-file';
import { createLogger } from './log/logger';

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
  let app;
  try {
    app = await startApp(config, logger);
  } catch (err) {
    if (err instanceof NumbersConfigError) {
      process.stderr.write(`tolk: ${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
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
