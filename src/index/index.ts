// The reverse index: label matchers to series. Documents are series (ID and
// tags), postings are roaring bitmaps per tag value, and a namespace's index
// is partitioned in time by its index block size.
export {
  InvalidMatcherError,
  MATCH_TYPES,
  type Matcher,
  type MatchType,
  newMatcher,
} from "./matcher.js";
export { QueryLimitError } from "./search.js";
export { type QueryLimits, type QueryResult, TimeIndex } from "./time-index.js";
