import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogLevel } from './config.ts';
import { redactSecretFields } from './log-redaction.ts';

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      // Telegram puts the bot token in its URLs, so the Bot API client never logs URLs at all;
      // this catches the secret fields that could still slip through (src/log-redaction.ts).
      hooks: { streamWrite: redactSecretFields },
      base: { service: 'etm-terrain' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
