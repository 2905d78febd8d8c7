import { type Logger, pino } from 'pino';

/** Environment variable setting the log level of runtimes (`trace` … `fatal`, `silent`). */
export const LOG_LEVEL_ENV = 'WEFT_LOG_LEVEL';

/** A pino logger for a runtime, at the level of `WEFT_LOG_LEVEL` (default `info`). */
export function createRuntimeLogger(name: string): Logger {
  return pino({ name, level: process.env[LOG_LEVEL_ENV] ?? 'info' });
}
