// Typed errors of the codec: bad input to an encoder, and streams that cannot
// be decoded.
import { M3tsError } from "../x/index.js";

/** What was wrong with a stream that could not be decoded. */
export type StreamErrorKind =
  | "truncated"
  | "invalid-time-unit"
  | "invalid-multiplier"
  | "invalid-xor"
  | "invalid-annotation"
  | "time-out-of-range";

/** A stream ended early or holds bits no encoder writes; `bitOffset` says where. */
export class StreamCorruptError extends M3tsError {
  readonly kind: StreamErrorKind;
  readonly bitOffset: number;
  readonly datapointIndex: number;

  constructor(kind: StreamErrorKind, bitOffset: number, datapointIndex: number, detail: string) {
    super(
      "M3TS_ERR_STREAM_CORRUPT",
      `M3TSZ stream corrupt (${kind}) at bit ${bitOffset} while reading datapoint ${datapointIndex}: ${detail}`,
    );
    this.kind = kind;
    this.bitOffset = bitOffset;
    this.datapointIndex = datapointIndex;
  }
}

/** A datapoint an encoder cannot write: bad unit, bad timestamp or too far a jump. */
export class InvalidDatapointError extends M3tsError {
  readonly field: string;

  constructor(field: string, message: string) {
    super("M3TS_ERR_INVALID_DATAPOINT", message);
    this.field = field;
  }
}

/** An append whose timestamp is not after the stream's last datapoint. */
export class OutOfOrderError extends M3tsError {
  readonly timeMs: number;
  readonly nsInMs: number;
  readonly lastTimeMs: number;
  readonly lastNsInMs: number;

  constructor(timeMs: number, nsInMs: number, lastTimeMs: number, lastNsInMs: number) {
    super(
      "M3TS_ERR_OUT_OF_ORDER",
      `datapoint at ${formatTime(timeMs, nsInMs)} is not after the stream's last datapoint at ` +
        `${formatTime(lastTimeMs, lastNsInMs)}; write it to another encoder`,
    );
    this.timeMs = timeMs;
    this.nsInMs = nsInMs;
    this.lastTimeMs = lastTimeMs;
    this.lastNsInMs = lastNsInMs;
  }
}

function formatTime(ms: number, nsInMs: number): string {
  return nsInMs === 0 ? `${ms} ms` : `${ms} ms + ${nsInMs} ns`;
}
