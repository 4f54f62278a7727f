/**
 * Libraries that write to the console (the Mattermost WebSocket client logs
 * every connection, error event and reconnection with console.log) would put
 * plain lines among the JSON log lines on stdout. In the running bridge they go
 * through the logger instead, at debug level, marked as such.
 */
import { format } from 'node:util';
import type { Logger } from '../log.js';

export function routeConsoleToLog(log: Logger): void {
  const library = log.child({ component: 'library-console' });
  console.log = (...args: unknown[]) => library.debug(format(...args));
  console.info = (...args: unknown[]) => library.debug(format(...args));
  console.warn = (...args: unknown[]) => library.warn(format(...args));
  console.error = (...args: unknown[]) => library.warn(format(...args));
}
