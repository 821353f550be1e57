// Something a start does once it is ready, or after a bound when the start
// cannot finish (a backlog's delivery must not wait on an unreachable API
// server for ever), and never after a stop began.

export interface StartOnce {
  /** runs it now, unless it already ran or was cancelled */
  now(): void;
  /** it will not run (a stop began); the bound's timer is cleared */
  cancel(): void;
}

export function startOnce(run: () => void, boundMs: number): StartOnce {
  let done = false;
  const fire = (): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    run();
  };
  const timer = setTimeout(fire, boundMs);
  // the bound alone keeps nothing alive: what it starts is for a process that runs anyway
  timer.unref();
  return {
    now: fire,
    cancel() {
      done = true;
      clearTimeout(timer);
    },
  };
}
