// The root of m3ts's typed errors. Every error class carries a stable `code`
// (M3TS_ERR_*) so callers and the HTTP layer can map it without parsing text.

/** Base class of every error m3ts raises on purpose. */
export class M3tsError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}
