// The aggregation operators by/without, and the partial states that two
// halves of an aggregation's input can be merged from.

export { evalAggregate, partialAggregate } from "./aggregate.js";
export { finalizeAggregate } from "./finalize.js";
export { mergePartials } from "./merge.js";
export type {
  PartialAggregate,
  PartialCandidate,
  PartialGroup,
  PartialOp,
} from "./partial-state.js";
