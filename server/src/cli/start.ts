/**
 * `gitlab-bridge start`: runs until SIGTERM/SIGINT, then drains in-flight
 * requests and stops the database, all within 10 s. A second signal, or the
 * 10 s guard, ends the process at once.
 */
import { startBridge, type Bridge } from '../bridge.js';
import { loadConfig } from '../config.js';
import { describeError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { installProxySupport } from '../net/proxy.js';
import { routeConsoleToLog } from './console-to-log.js';

const DRAIN_MS = 7000;
const HARD_LIMIT_MS = 10_000;

export async function runStart(): Promise<number> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  routeConsoleToLog(log);
  // Listen for signals before starting anything: a signal during start-up must
  // still stop the embedded database, not kill the process with it running.
  const stopRequested = watchSignals(log);
  if (installProxySupport(config.proxy)) log.info('outgoing HTTP uses the configured proxy');

  const started = Date.now();
  let bridge: Bridge;
  try {
    bridge = await startBridge(config, log);
  } catch (error) {
    log.fatal({ err: error, code: (error as { code?: string }).code }, `cannot start: ${describeError(error)}`);
    throw error;
  }
  log.info({ ms: Date.now() - started }, 'gitlab-bridge ready');

  // Errors no handler caught must not take the process down with a half-finished shutdown.
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled promise rejection'));

  const signal = await stopRequested;
  await bridge.stop(DRAIN_MS);
  log.info({ signal }, 'gitlab-bridge stopped');
  return 0;
}

/** Resolves on the first SIGTERM/SIGINT; a second one, or a stop that overruns, exits at once. */
function watchSignals(log: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const force = (why: string): never => {
      log.error(why);
      process.exit(1);
    };
    const onSignal = (signal: NodeJS.Signals): void => {
      if (received) force('second signal: exiting without finishing the shutdown');
      received = true;
      log.info({ signal }, 'shutting down');
      setTimeout(() => force(`shutdown took longer than ${HARD_LIMIT_MS / 1000} s; exiting`), HARD_LIMIT_MS).unref();
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
