// Small helpers shared by two or more parts of m3ts.
export { type Clock, ManualClock, systemClock } from "./clock.js";
export { crc32c } from "./crc32c.js";
export { formatDurationMs, InvalidDurationError, parseDurationMs } from "./duration.js";
export { eachBounded } from "./each-bounded.js";
export { M3tsError } from "./errors.js";
export {
  type FileHandle,
  type FileStat,
  type FileSystem,
  nodeFileSystem,
  type OpenFlags,
} from "./file-system.js";
export { type Logger, MemoryLogger, silentLogger } from "./logger.js";
export { murmur3_32 } from "./murmur3.js";
export {
  BYTES,
  FIXED32,
  FIXED64,
  type ProtoErrorFactory,
  ProtoReader,
  VARINT,
} from "./proto-reader.js";
export { delimitedSize, int64Size, ProtoWriter, utf8Size, varintSize } from "./proto-writer.js";
export { seededRandom } from "./seeded-random.js";
export { seriesIdOf, seriesIdOfEncodedTags, seriesIdString } from "./series-id.js";
export { InvalidShardingError, shardOf } from "./shard.js";
export {
  checkEncodedTags,
  decodeTags,
  encodedTagsLength,
  encodeTags,
  encodeTagsInto,
  TAG_ENCODING_MAGIC,
} from "./tag-encoding.js";
export {
  compareUtf8,
  DEFAULT_MAX_TAGS,
  InvalidTagsError,
  type InvalidTagsReason,
  isValidPrometheusLabelName,
  MAX_TAG_LITERAL_BYTES,
  MAX_TAGS_ENCODABLE,
  type NormalizeTagsOptions,
  normalizeTags,
  type Tag,
} from "./tag-set.js";
export {
  compareTime,
  fitsInt64Ns,
  formatNs,
  int64NsToMs,
  isValidUnit,
  MAX_INT64_NS_MS,
  MIN_INT64_NS_MS,
  msToInt64Ns,
  NS_PER_MS,
  parseNs,
  TimeUnit,
  UNIT_NS,
  unitName,
} from "./time.js";
