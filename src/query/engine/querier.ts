// The engine's storage adapter: a Querier over the client, so that the same
// engine reads a single node in process or a cluster through its client.

import { type Client, FetchDeadlineError } from "../../client/index.js";
import { type Matcher, QueryLimitError } from "../../index/index.js";
import type {
  Querier,
  QuerySignal,
  SelectLimits,
  SelectResult,
  StoredSeries,
} from "../engine-types.js";
import { QueryLimitExceededError } from "../errors.js";
import { makeLabels } from "../labels.js";

/** The querier's default series limits, for a select whose limits leave them out. */
export interface ClientQuerierOptions {
  /** Most series one selector may fetch (M3's default 100 000; 0: no bound). */
  maxSeries?: number;
  /** Fail when maxSeries is passed (true, M3's default) or answer with the first maxSeries and a warning. */
  requireExhaustive?: boolean;
}

export const DEFAULT_MAX_SERIES = 100_000;

/** M3's results-limited reason for a truncated series fetch. */
export const SERIES_LIMIT_APPLIED = "max_fetch_series_limit_applied";

/** A select matched more than maxSeries series under requireExhaustive. */
export function tooManySeries(maxSeries: number): QueryLimitExceededError {
  return new QueryLimitExceededError(
    "maxSeries",
    maxSeries,
    "execution",
    422,
    `query matched more than the limit of ${maxSeries} series (M3-Limit-Max-Series); narrow the selectors or raise the limit`,
  );
}

/** Reads one namespace through the client. */
export function clientQuerier(
  client: Client,
  namespace: string,
  options: ClientQuerierOptions = {},
): Querier {
  const defaultMaxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
  const defaultRequireExhaustive = options.requireExhaustive ?? true;
  return {
    async select(
      matchers: readonly Matcher[],
      startMs: number,
      endMs: number,
      signal: QuerySignal,
      limits: SelectLimits,
    ) {
      const maxSeries = limits.maxSeries ?? defaultMaxSeries;
      const requireExhaustive = limits.requireExhaustive ?? defaultRequireExhaustive;
      if (!(Number.isSafeInteger(maxSeries) && maxSeries >= 0)) {
        throw new RangeError(`series limit ${maxSeries} is not a non-negative integer`);
      }
      let fetched: Awaited<ReturnType<Client["fetchTagged"]>>;
      const warnings: string[] = [];
      const limited: string[] = [];
      try {
        // Without exhaustiveness the fetch is unbounded and cut here, so that the
        // answer holds the first maxSeries series rather than none.
        fetched = await client.fetchTagged(namespace, matchers, startMs, endMs, {
          maxSeries: requireExhaustive ? maxSeries : 0,
          maxDocsScanned: 0,
          maxSamples: 0,
          deadlineMs: Date.now() + signal.remainingMs(),
          ...(limits.readConsistency === undefined
            ? {}
            : { readConsistency: limits.readConsistency }),
          ...(limits.equalTimestampStrategy === undefined
            ? {}
            : { equalTimestampStrategy: limits.equalTimestampStrategy }),
        });
      } catch (err) {
        if (err instanceof FetchDeadlineError) signal.check("fetching series");
        if (err instanceof QueryLimitError && err.limit === "maxSeries") {
          throw tooManySeries(maxSeries);
        }
        throw err;
      }
      signal.check("fetching series");
      if (!requireExhaustive && maxSeries > 0 && fetched.length > maxSeries) {
        fetched = fetched.slice(0, maxSeries);
        warnings.push(
          `results truncated: the query matched more than ${maxSeries} series (M3-Limit-Max-Series)`,
        );
        limited.push(SERIES_LIMIT_APPLIED);
      }
      const matched = fetched.length;
      const series: StoredSeries[] = [];
      for (const f of fetched) {
        if (f.count === 0) continue;
        series.push({
          labels: makeLabels(f.tags),
          timesMs: f.timesMs,
          values: f.values,
          count: f.count,
        });
      }
      const result: SelectResult = {
        series,
        warnings,
        limited,
        namespaces: [namespace],
        matched,
      };
      return result;
    },
  };
}
