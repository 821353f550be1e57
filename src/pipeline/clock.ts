// What the pipeline borrows from its surroundings: a clock (so tests step
// time instead of sleeping; the same one the listener takes) and the one
// logger shape (src/model/logger.ts).

export { type Clock, realClock } from '../model/clock.ts';

export { type Logger, silentLogger } from '../model/logger.ts';
