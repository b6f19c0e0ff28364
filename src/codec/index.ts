// The codec: M3TSZ streams (M3's compressed per-series, per-block format),
// packed blocks (m3ts's own fileset format), their iterators and the merge of
// several sources of one series. Pure, no I/O.
export { BitReader, END_OF_BITS } from "./bit-reader.js";
export { BitWriter } from "./bit-writer.js";
export {
  InvalidDatapointError,
  OutOfOrderError,
  StreamCorruptError,
  type StreamErrorKind,
} from "./errors.js";
export { M3tszEncoder } from "./m3tsz-encoder.js";
export { isWritableUnit, type M3tszOptions } from "./m3tsz-format.js";
export { M3tszIterator } from "./m3tsz-iterator.js";
export { MultiStreamIterator } from "./multi-stream-iterator.js";
export {
  inspectPacked,
  type PackedLayout,
  packedCount,
  unpackSeries,
} from "./packed-decoder.js";
export { packedBound, packSeries, packSeriesInto } from "./packed-encoder.js";
export { PackedCorruptError, type PackedErrorKind, PackInputError } from "./packed-errors.js";
export {
  IntMode,
  MAX_ABS_TIME_MS,
  MAX_PACKED_POINTS,
  TimeMode,
  ValueMode,
} from "./packed-format.js";
export { PackedIterator } from "./packed-iterator.js";
export {
  isPacked,
  type PackedBlock,
  packedBlock,
  type SeriesData,
  seriesDataBytes,
} from "./series-data.js";
export {
  MAX_SAMPLES_IN_XOR_CHUNK,
  MAX_SAMPLES_PER_CHUNK,
  MAX_XOR_CHUNK_ABS_TIME_MS,
  XorChunkAppendError,
  XorChunkEncoder,
  XorChunkFormatError,
  XorChunkIterator,
} from "./xor-chunk.js";
