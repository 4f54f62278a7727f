/**
 * `gitlab-bridge start`: runs until SIGTERM/SIGINT, then drains in-flight
 * requests and stops the database, all within 10 s. A second signal, or the
 * 10 s guard, ends the process at once.
 */
import { startBridge } from '../bridge.js';
import { loadConfig } from '../config.js';
import { describeError } from '../errors.js';
import { createLogger } from '../log.js';
import { installProxySupport } from '../net/proxy.js';

const DRAIN_MS = 7000;
const HARD_LIMIT_MS = 10_000;

export async function runStart(): Promise<number> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  if (installProxySupport(config.proxy)) log.info('outgoing HTTP uses the configured proxy');

  const started = Date.now();
  let bridge;
  try {
    bridge = await startBridge(config, log);
  } catch (error) {
    log.fatal({ err: error, code: (error as { code?: string }).code }, `cannot start: ${describeError(error)}`);
    throw error;
  }
  log.info({ ms: Date.now() - started }, 'gitlab-bridge ready');

  // Errors no handler caught must not take the process down with a half-finished shutdown.
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled promise rejection'));

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log.info({ signal }, 'shutting down');
  const force = (why: string) => {
    log.error(why);
    process.exit(1);
  };
  process.once('SIGTERM', () => force('second signal: exiting without finishing the shutdown'));
  process.once('SIGINT', () => force('second signal: exiting without finishing the shutdown'));
  setTimeout(() => force(`shutdown took longer than ${HARD_LIMIT_MS / 1000} s; exiting`), HARD_LIMIT_MS).unref();

  await bridge.stop(DRAIN_MS);
  log.info({ signal }, 'gitlab-bridge stopped');
  return 0;
}
