// What the pipeline borrows from its surroundings: a clock (so tests step
// time instead of sleeping; the same one the listener takes) and a
// pino-like logger.

export { type Clock, realClock } from '../model/clock.ts';

export interface PipelineLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: PipelineLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
