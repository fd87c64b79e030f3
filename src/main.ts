/**
 * `npm start`: reads the environment (and `.env`), validates it once, starts tolk (app.ts is the
 * composition root), and shuts down gracefully on SIGINT/SIGTERM (see stop-signals.ts). A start-up failure is a short
 * message on stderr naming what to fix, with exit code 78 (EX_CONFIG) when it is the configuration.
 */
import { startApp, type App } from './app';
import { NOTICE_LIMIT_MS } from './call/call-service';
import { MOVE_PHASE_LIMIT_MS } from './cluster/move-calls';
import { loadDotEnv } from './config/dotenv';
import { ConfigError, loadConfig, type Config } from './config/env';
import { NumbersConfigError } from './config/numbers-file';
import { StartupError } from './config/startup-error';
import { createLogger } from './log/logger';
import { PROCESS_INDEX_VAR, processCount, serveHandedConnections, superviseProcesses } from './cluster/processes';
import { onStopSignals, SAME_REQUEST_MS } from './stop-signals';

const EX_CONFIG = 78;

function fail(message: string, code: number): never {
  process.stderr.write(`tolk: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    loadDotEnv();
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(`${err.message}\nSee .env.example and the README's Configuration section.`, EX_CONFIG);
    fail(err instanceof Error ? err.message : String(err), EX_CONFIG);
  }
  const logger = createLogger({ level: config.LOG_LEVEL });
  process.on('unhandledRejection', (reason) => {
    logger.error({ event: 'process.unhandled_rejection', err: reason }, 'unhandled promise rejection');
  });
  const processes = processCount(config.TOLK_PROCESSES);
  if (processes > 1) return supervise(config, processes, logger);
  let app: App;
  try {
    app = await startApp(config, logger);
  } catch (err) {
    logger.flush();
    if (err instanceof StartupError || err instanceof NumbersConfigError) fail(err.message, EX_CONFIG);
    throw err;
  }
  // A process of TOLK_PROCESSES: the supervisor hands it the connections it takes on PORT, new calls to the one serving fewest.
  const handed = process.env[PROCESS_INDEX_VAR] ? serveHandedConnections(app.http.server, app.address.port, () => app.calls.liveCallIds.length) : undefined;
  // The first signal drains (live calls run on, up to TOLK_DRAIN_TIMEOUT_MS); a later one ends them now.
  onStopSignals({
    first(sig) {
      logger.info({ event: 'process.signal', signal: sig, activeCalls: app.calls.activeCalls }, 'shutting down');
      // Before any call moves: the streams and webhooks of the moved calls must reach the adopter.
      handed?.stopping();
      // The backstop of a shutdown that hangs: a cluster's move comes before the drain's own deadline.
      const timer = setTimeout(() => process.exit(1), MOVE_PHASE_LIMIT_MS + config.TOLK_DRAIN_TIMEOUT_MS + NOTICE_LIMIT_MS + config.SHUTDOWN_GRACE_MS + 1000);
      timer.unref();
      app.stop().then(
        () => {
          logger.flush();
          process.exit(0);
        },
        (err: unknown) => {
          logger.error({ event: 'server.stop_failed', err }, 'shutting down failed');
          logger.flush();
          process.exit(1);
        },
      );
    },
    again(sig) {
      logger.warn({ event: 'process.signal', signal: sig }, 'second signal: ending live calls now');
      app.endCallsNow();
      const timer = setTimeout(() => process.exit(1), config.SHUTDOWN_GRACE_MS + 1000);
      timer.unref();
    },
    repeated: (sig) => logRepeated(logger, sig),
  });
}

/** TOLK_PROCESSES: this process only starts the others, passes connections on and stops them. */
async function supervise(config: Config, processes: number, logger: ReturnType<typeof createLogger>): Promise<void> {
  let supervisor;
  try {
    supervisor = await superviseProcesses(config, processes, logger);
  } catch (err) {
    logger.flush();
    if (err instanceof StartupError) fail(err.message, EX_CONFIG);
    throw err;
  }
  // Each process drains on the first signal and ends its calls on a later one, as a single tolk does.
  onStopSignals({
    first(sig) {
      logger.info({ event: 'process.signal', signal: sig }, 'stopping every process');
      void supervisor.stop().then(() => {
        logger.info({ event: 'server.stopped' }, 'stopped');
        logger.flush();
        process.exit(0);
      });
    },
    again(sig) {
      logger.info({ event: 'process.signal', signal: sig }, 'second signal: every process ends its live calls now');
      supervisor.signal('SIGTERM');
    },
    repeated: (sig) => logRepeated(logger, sig),
  });
}

function logRepeated(logger: ReturnType<typeof createLogger>, sig: NodeJS.Signals): void {
  logger.info(
    { event: 'process.signal_repeated', signal: sig },
    `${sig} within ${SAME_REQUEST_MS / 1000} s of the last signal: the same request (signal again after that to end live calls now)`,
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    // Not a configuration problem: one line, and the stack only when asked for.
    const detail = err instanceof Error ? (process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace' ? err.stack : err.message) : String(err);
    fail(`failed to start: ${detail}`, 1);
  });
}
