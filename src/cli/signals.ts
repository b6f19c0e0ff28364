// How every long-running command ends: SIGTERM or SIGINT stops it (requests
// in flight finish, the commit log is flushed) and it exits 0; a second
// signal exits at once.
import type { Logger } from "../x/index.js";

/** Resolves with the exit code once a signal has stopped the process's parts with `stop`. */
export function runUntilSignal(stop: () => Promise<void>, logger: Logger): Promise<number> {
  return new Promise<number>((resolveExit) => {
    let signals = 0;
    const onSignal = (signal: string) => {
      signals++;
      if (signals > 1) {
        logger.warn({ signal }, "second signal: exiting now");
        process.exit(1);
      }
      logger.info({ signal }, "stopping: finishing requests in flight and flushing the commit log");
      const exit = (code: number) => {
        // Whatever still holds the event loop open (a client's idle socket) must not keep a stopped process alive.
        setTimeout(() => process.exit(code), 2000).unref();
        resolveExit(code);
      };
      stop().then(
        () => exit(0),
        (e) => {
          logger.error({ err: e as Error }, "stop failed");
          exit(1);
        },
      );
    };
    process.on("SIGTERM", () => onSignal("SIGTERM"));
    process.on("SIGINT", () => onSignal("SIGINT"));
  });
}
