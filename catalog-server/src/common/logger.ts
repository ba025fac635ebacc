// One structured logger for the whole server (JSON lines on stdout, via pino), and an adapter so
// Nest's own messages come out as JSON lines through the same logger.
import type { LoggerService } from '@nestjs/common';
import { pino, type Logger } from 'pino';

export type { Logger };

/** Nest injection token for the root pino logger; services take `.child({ component })` of it. */
export const LOGGER = Symbol('LOGGER');

export function createLogger(level: string = 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name: 'ferrite-server',
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  // Synchronous writes: lines stay in order and none are lost when the process exits right after.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
}

/** Routes Nest's framework logging (module init, route mapping, errors) into pino. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  // Nest passes the context (a class name) as the last string argument, and for errors a stack
  // before it.
  private write(level: pino.Level, message: unknown, params: unknown[]): void {
    const rest = [...params];
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const fields: Record<string, unknown> = { component: context ?? 'nest' };
    for (const p of rest) {
      if (typeof p === 'string' && p.includes('\n')) fields.stack = p;
      else if (p instanceof Error) fields.err = p;
      else if (p !== undefined) fields.detail = p;
    }
    if (message instanceof Error) this.logger[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) this.logger[level]({ ...fields, ...message });
    else this.logger[level](fields, String(message));
  }
}
