// What building a tree can end in, and which of Prometheus's experimental
// syntax it accepts.

/** An error found while building or checking the tree: 0-based position and Prometheus's text. */
export class BuildFailure extends Error {
  readonly pos: number;
  constructor(pos: number, message: string) {
    super(message);
    this.pos = pos;
  }
}

/**
 * Prometheus's experimental syntax, each behind a feature flag there. All are
 * on by default here, as in Prometheus's own PromQL test scripts.
 */
export interface ParseFeatures {
  /** Functions and aggregations marked experimental (limitk, mad_over_time, info, ...). */
  experimentalFunctions: boolean;
  /** Arithmetic and step()/range()/min_of()/max_of() in ranges, steps and offsets. */
  durationExpressions: boolean;
  /** fill, fill_left and fill_right on binary operators. */
  fillModifiers: boolean;
  /** The anchored and smoothed modifiers of range selectors. */
  extendedRangeSelectors: boolean;
}

export const ALL_FEATURES: Readonly<ParseFeatures> = {
  experimentalFunctions: true,
  durationExpressions: true,
  fillModifiers: true,
  extendedRangeSelectors: true,
};
