// The logging interface the core takes: structured fields, then a message,
// as pino's methods are called, so a pino logger plugs in as it is.

/** A structured logger: `logger.warn({ file, offset }, "skipped a torn tail")`. */
export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** A logger that drops everything (tests and tools that do not log). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** A logger that keeps every entry, for tests that assert what was logged. */
export class MemoryLogger implements Logger {
  readonly entries: {
    level: "debug" | "info" | "warn" | "error";
    fields: object;
    message: string;
  }[] = [];

  debug(fields: object, message: string): void {
    this.entries.push({ level: "debug", fields, message });
  }

  info(fields: object, message: string): void {
    this.entries.push({ level: "info", fields, message });
  }

  warn(fields: object, message: string): void {
    this.entries.push({ level: "warn", fields, message });
  }

  error(fields: object, message: string): void {
    this.entries.push({ level: "error", fields, message });
  }
}
