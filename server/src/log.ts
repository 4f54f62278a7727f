/**
 * JSON lines on stdout (pino). Secrets are redacted by path as a second line of
 * defence; the first is never putting them into log objects at all.
 */
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-gitlab-token"]',
  'req.headers["x-csrf-token"]',
  'headers.authorization',
  'headers.cookie',
  'token',
  'password',
  '*.token',
  '*.password',
];

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'gitlab-bridge' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  // Synchronous: an async stdout lets the exit-time flush overtake an in-flight write, so a
  // stopping or crashing bridge could print its last lines out of order, or not at all.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
}
