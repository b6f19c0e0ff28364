// The typed errors of the packed encoding: input packSeries cannot write, and
// bytes unpackSeries cannot read.
import { M3tsError } from "../x/index.js";

/** What was wrong with a packed block that could not be decoded. */
export type PackedErrorKind =
  | "truncated"
  | "invalid-mode"
  | "invalid-count"
  | "invalid-varint"
  | "invalid-width"
  | "invalid-time"
  | "invalid-exponent"
  | "invalid-exception"
  | "trailing-bytes";

/** A packed block ended early or holds bytes no encoder writes; `offset` says where. */
export class PackedCorruptError extends M3tsError {
  readonly kind: PackedErrorKind;
  readonly offset: number;

  constructor(kind: PackedErrorKind, offset: number, detail: string) {
    super("M3TS_ERR_PACKED_CORRUPT", `packed block corrupt (${kind}) at byte ${offset}: ${detail}`);
    this.kind = kind;
    this.offset = offset;
  }
}

/** Points packSeries cannot write: no points, times out of order or out of range. */
export class PackInputError extends M3tsError {
  readonly index: number;

  constructor(index: number, message: string) {
    super("M3TS_ERR_PACK_INPUT", message);
    this.index = index;
  }
}
