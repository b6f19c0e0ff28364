// Fetching every selector a query plans, once, with what the fetches tell
// (warnings, limited reasons, namespaces, counts): shared by the engine's
// own evaluation and by a node's evaluation of a pushed-down aggregation.

import { type Matcher, newMatcher } from "../../index/index.js";
import type { Annotations } from "../annotations.js";
import type { LabelMatcherNode } from "../ast.js";
import type { SeriesMeta } from "../block.js";
import type { Querier, QuerySignal, SelectLimits, StoredSeries } from "../engine-types.js";
import { QueryLimitExceededError, QueryTimeoutError } from "../errors.js";
import type { EvalEnv } from "./evaluator.js";
import type { SelectorFetch } from "./plan.js";

export interface FetchedAll {
  data: EvalEnv["data"];
  limited: Set<string>;
  namespaces: Set<string>;
  /** Series with samples, over all selects. */
  seriesFetched: number;
  /** Series the selects matched, empty ones included (where the querier tells). */
  seriesMatched: number;
  /** Raw samples over all selects. */
  samples: number;
}

function toMatchers(nodes: readonly LabelMatcherNode[]): Matcher[] {
  return nodes.map((m) => newMatcher(m.op, m.name, m.value));
}

function metaOf(s: StoredSeries): SeriesMeta {
  return { labels: s.labels, dropName: false };
}

/**
 * Runs every fetch in turn; `onSamples` is told each select's raw samples
 * as they arrive, so the sample limit stops the query before the next one.
 */
export async function fetchAll(
  querier: Querier,
  fetches: readonly SelectorFetch[],
  signal: QuerySignal,
  limits: SelectLimits,
  annotations: Annotations,
  onSamples: (n: number) => void,
): Promise<FetchedAll> {
  const out: FetchedAll = {
    data: new Map(),
    limited: new Set(),
    namespaces: new Set(),
    seriesFetched: 0,
    seriesMatched: 0,
    samples: 0,
  };
  for (const f of fetches) {
    const got = await querier.select(toMatchers(f.matchers), f.startMs, f.endMs, signal, limits);
    signal.check("fetching series");
    for (const w of got.warnings) annotations.warn(w);
    for (const l of got.limited) out.limited.add(l);
    for (const n of got.namespaces) out.namespaces.add(n);
    out.seriesFetched += got.series.length;
    out.seriesMatched += got.matched ?? got.series.length;
    let raw = 0;
    for (const s of got.series) raw += s.count;
    out.samples += raw;
    onSamples(raw);
    out.data.set(f.key, { series: got.series, metas: got.series.map(metaOf) });
  }
  return out;
}

/** A signal that fails the query once `timeoutMs` passed from now. */
export function deadlineSignal(timeoutMs: number, now: () => number): QuerySignal {
  const deadline = now() + timeoutMs;
  return {
    check(during: string) {
      if (now() > deadline) throw new QueryTimeoutError(timeoutMs, during);
    },
    remainingMs: () => deadline - now(),
  };
}

/** The samples a query holds passed maxSamples, worded as Prometheus words it. */
export function tooManySamples(maxSamples: number): QueryLimitExceededError {
  return new QueryLimitExceededError(
    "maxSamples",
    maxSamples,
    "execution",
    422,
    "query processing would load too many samples into memory in query execution",
  );
}
