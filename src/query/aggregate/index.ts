// The aggregation operators by/without, and the partial states that two
// halves of an aggregation's input can be merged from.

export { evalAggregate, partialAggregate } from "./aggregate.js";
export { finalizeAggregate } from "./finalize.js";
export { mergePartials } from "./merge.js";
export {
  decodePartial,
  decodePartialAnswer,
  encodePartial,
  encodePartialAnswer,
  type PartialAnswer,
  PartialDecodeError,
} from "./partial-codec.js";
export type {
  PartialAggregate,
  PartialCandidate,
  PartialGroup,
  PartialOp,
} from "./partial-state.js";
export { concatPartials, newPartial, PARTIAL_OPS, slicePartial } from "./partial-state.js";
