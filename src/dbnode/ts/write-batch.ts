// The write vocabulary shared by the client and the database: a batch of
// datapoints in columns and its per-datapoint result. The database consumes
// these shapes and the client (in process or, in a cluster, over gRPC) carries
// them, so they live below both.
import type { M3tsError } from "../../x/index.js";

/**
 * A batch of datapoints in columns. Datapoint i belongs to series
 * `series[i]`, an index into `seriesIds`; `seriesTags` (M3's tag encoding)
 * is needed only for series the database has not seen, and `seriesRefs`
 * (from an earlier result, -1 when unknown) skips the ID lookup.
 */
export interface WriteBatch {
  count: number;
  series: ArrayLike<number>;
  timesMs: ArrayLike<number>;
  /** A Float64Array keeps NaN payloads (stale markers); plain arrays of doubles may not. */
  values: ArrayLike<number>;
  seriesIds: readonly string[];
  seriesTags?: readonly (Uint8Array | null)[];
  seriesRefs?: ArrayLike<number>;
  nsInMs?: ArrayLike<number>;
  units?: ArrayLike<number>;
  annotations?: readonly (Uint8Array | null)[];
}

export interface WriteResult {
  /** Datapoints accepted. */
  written: number;
  /** One entry per rejected datapoint, by index in the batch. */
  errors: { index: number; error: M3tsError }[];
  /** The ref of each series of the batch (-1 where it could not be created), for the next batch. */
  refs: Float64Array;
}
