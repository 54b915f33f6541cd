import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogLevel } from './config.ts';

/**
 * Paths whose values never reach a log line. Telegram puts the bot token in its URLs, so the
 * Bot API client never logs URLs at all; these paths catch what could still slip through.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-admin-token"]',
  'headers.authorization',
  // Outgoing calls (Nextcloud's Basic auth, the admin bearer) may be logged with their headers.
  '*.headers.authorization',
  'authorization',
  '*.authorization',
  'token',
  'password',
  'adminToken',
  '*.token',
  '*.password',
  '*.adminToken',
  '*.*.token',
  '*.*.password',
];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { service: 'etm-terrain' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
