// The reverse index: label matchers to series. Documents are series (ID and
// tags), postings are roaring bitmaps per tag value, and a namespace's index
// is partitioned in time by its index block size; blocks are sealed into
// immutable segments whose bytes are also their on-disk form.
export {
  InvalidMatcherError,
  MATCH_TYPES,
  type Matcher,
  type MatchType,
  newMatcher,
} from "./matcher.js";
export { MutableSegment } from "./mutable-segment.js";
export {
  encodeSegments,
  SEGMENT_FORMAT_VERSION,
  SealedSegment,
  SegmentFormatError,
} from "./sealed-segment.js";
export { QueryLimitError } from "./search.js";
export type { FieldReader, Postings, Segment } from "./segment.js";
export { type QueryLimits, type QueryResult, type SealJob, TimeIndex } from "./time-index.js";
