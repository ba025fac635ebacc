// Structured (JSON lines) logging for the agent. One root logger; modules take children.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level = 'info', name = 'ferrite-agent'): Logger {
  return pino({ name, level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
