import pino, { type Logger } from 'pino';

/**
 * One JSON line per event; readable colours when a person watches a terminal. Tests pass
 * `silent`.
 */
export function createLogger(level: string, pretty = process.stdout.isTTY === true): Logger {
  if (level === 'silent') return pino({ level });
  return pretty
    ? pino({ level, transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss' } } })
    : pino({ level });
}
export type { Logger };
