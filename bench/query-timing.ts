// Query latency over HTTP for bench:query: each query posted as a form to
// /api/v1/query or /api/v1/query_range, timed from the request to the last
// byte of the answer (JSON parsing not included), warm-up runs first, then
// the median of the timed runs. The first answer is kept for comparison.
import { type QueryCase, RANGE_STEP_S } from "./query-cases.js";
import type { QueryData } from "./query-compare.js";

export const MODES = ["instant", "range"] as const;
export type Mode = (typeof MODES)[number];

export interface TimingOptions {
  /** Warm-up runs; those after the first are skipped when it took over budgetMs / 4. */
  warmups: number;
  runs: number;
  /** Fewer timed runs (never under minRuns) when the first warm-up says runs * its time exceeds this. */
  budgetMs: number;
  minRuns: number;
  /** Instant queries' time and range queries' end, in whole seconds. */
  endS: number;
  /** Range queries' span, in seconds. */
  spanS: number;
  requestTimeoutMs: number;
  /** Extra request headers (e.g. M3's per-query options). */
  headers?: Readonly<Record<string, string>>;
}

/** One query's figures on one server; `error` is set (and the rest NaN/null) when it failed. */
export interface Timing {
  medianMs: number;
  runs: number;
  data: QueryData | null;
  error: string;
}

/** The form of one query in `mode`. */
export function queryForm(q: QueryCase, mode: Mode, o: TimingOptions): Record<string, string> {
  if (mode === "instant") return { query: q.query, time: String(o.endS) };
  return {
    query: q.query,
    start: String(o.endS - o.spanS),
    end: String(o.endS),
    step: String(RANGE_STEP_S),
  };
}

async function post(
  url: string,
  form: Record<string, string>,
  timeoutMs: number,
  headers: Readonly<Record<string, string>>,
): Promise<{ ms: number; status: number; text: string }> {
  const t0 = performance.now();
  const res = await fetch(url, {
    method: "POST",
    headers,
    body: new URLSearchParams(form),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  return { ms: performance.now() - t0, status: res.status, text };
}

/** Runs one query once against `base`; rejects with the server's words when it fails. */
export async function runQuery(
  base: string,
  q: QueryCase,
  mode: Mode,
  o: TimingOptions,
): Promise<{ ms: number; data: QueryData }> {
  const path = mode === "instant" ? "/api/v1/query" : "/api/v1/query_range";
  const r = await post(
    `${base}${path}`,
    queryForm(q, mode, o),
    o.requestTimeoutMs,
    o.headers ?? {},
  );
  let body: { status?: string; data?: QueryData; error?: string } = {};
  try {
    body = JSON.parse(r.text);
  } catch {
    // Reported below with the text itself.
  }
  if (r.status !== 200 || body.status !== "success" || body.data === undefined) {
    throw new Error(`${path} answered ${r.status}: ${body.error ?? r.text.slice(0, 300)}`);
  }
  return { ms: r.ms, data: body.data };
}

/** The middle value; the upper of the two middle ones for an even count. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Warm-ups then timed runs of one query; a failure ends it with `error` set. */
export async function timeQuery(
  base: string,
  q: QueryCase,
  mode: Mode,
  o: TimingOptions,
): Promise<Timing> {
  let data: QueryData | null = null;
  let firstMs = 0;
  try {
    for (let i = 0; i < o.warmups; i++) {
      // A query slow enough to fill a quarter of the budget is warm after one run.
      if (i > 0 && firstMs > o.budgetMs / 4) break;
      const r = await runQuery(base, q, mode, o);
      if (i === 0) {
        data = r.data;
        firstMs = r.ms;
      }
    }
    const runs = Math.max(o.minRuns, Math.min(o.runs, Math.floor(o.budgetMs / (firstMs || 1))));
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await runQuery(base, q, mode, o);
      if (data === null) data = r.data;
      times.push(r.ms);
    }
    return { medianMs: median(times), runs, data, error: "" };
  } catch (e) {
    return { medianMs: Number.NaN, runs: 0, data: null, error: (e as Error).message };
  }
}
