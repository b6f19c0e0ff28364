// The figures of bench:cluster worked out from what it measured: the
// cluster's ingest against `m3ts start`'s on the same load, with CPU charged
// per replicated sample (a client sample written to RF replicas counts RF
// times), and the check that a pushed-down answer equals the fanned-out one.
import { M3tsError } from "../src/x/index.js";
import { compareQueryData, type QueryData } from "./query-compare.js";

/** Pushed-down and fanned-out answers agree when |a - b| <= this * max(|a|, |b|) (issue 17's bound for sums). */
export const PUSHDOWN_REL_TOLERANCE = 1e-12;

/** What one ingest run (or the median of several) measured. */
export interface IngestMeasure {
  samplesPerS: number;
  /** Client samples acknowledged in the timed part. */
  accepted: number;
  /** CPU seconds of every process charged, over the timed part. */
  cpuS: number;
}

export interface ClusterIngestFigures {
  samplesPerS: number;
  ratioVsSingle: number;
  /** The single node's CPU seconds per million client samples. */
  singleCpuSPerM: number;
  /** The cluster's CPU seconds per million replicated samples. */
  cpuSPerMReplicated: number;
  /** cpuSPerMReplicated over singleCpuSPerM. */
  cpuRatioVsSingle: number;
}

/** The headline ingest figures of the cluster against the single node. */
export function clusterIngestFigures(
  single: IngestMeasure,
  cluster: IngestMeasure,
  replicationFactor: number,
): ClusterIngestFigures {
  const singleCpuSPerM = single.cpuS / (single.accepted / 1e6);
  const cpuSPerMReplicated = cluster.cpuS / ((cluster.accepted * replicationFactor) / 1e6);
  return {
    samplesPerS: cluster.samplesPerS,
    ratioVsSingle: cluster.samplesPerS / single.samplesPerS,
    singleCpuSPerM,
    cpuSPerMReplicated,
    cpuRatioVsSingle: cpuSPerMReplicated / singleCpuSPerM,
  };
}

/** A query's pushed-down answer differs from its fanned-out one: the timings would compare different work. */
export class PushdownMismatchError extends M3tsError {
  readonly query: string;
  readonly differences: number;

  constructor(query: string, differences: number, details: readonly string[]) {
    super(
      "M3TS_ERR_BENCH_PUSHDOWN_MISMATCH",
      `${query}: the pushed-down answer differs from the fanned-out one in ${differences} ` +
        `places (allowed: none beyond ${PUSHDOWN_REL_TOLERANCE} relative); first ones:\n  ${details.join("\n  ")}`,
    );
    this.query = query;
    this.differences = differences;
  }
}

/** Throws PushdownMismatchError unless the two answers agree within PUSHDOWN_REL_TOLERANCE. */
export function checkPushdownAgrees(query: string, pushed: QueryData, fannedOut: QueryData): void {
  const c = compareQueryData(pushed, fannedOut, PUSHDOWN_REL_TOLERANCE);
  if (c.count > 0) throw new PushdownMismatchError(query, c.count, c.details);
}
