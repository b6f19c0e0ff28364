// What each call of the node service does on this node's Database, between
// the wire's decoded request and the encoded answer: the index queries with
// their shard filter and limits, the fetch of each series' data pieces
// (yielding to the event loop so writes go on), the write with the shards
// this node does not own refused per datapoint.
import { MultiStreamIterator, type SeriesData } from "../../codec/index.js";
import { type Matcher, QueryLimitError } from "../../index/index.js";
import type {
  AggregateRequest,
  FetchTaggedRequest,
  HealthResponse,
  LabelNamesRequest,
  LabelValuesRequest,
  SeriesTagsRequest,
  WireSeries,
  WireSeriesTags,
  WireWriteError,
  WriteBatchRequest,
  WriteBatchResponse,
} from "../../rpc/index.js";
import { wireSeriesSize } from "../../rpc/index.js";
import { encodeTags, type M3tsError, type Tag } from "../../x/index.js";
import type { Database } from "../storage/index.js";
import type { WriteBatch } from "../ts/index.js";
import { AggregateUnsupportedError, CallDeadlineError, ShardNotOwnedError } from "./errors.js";

/** What a call's work sees of the call: its deadline, whether its caller left, its byte bound. */
export interface CallContext {
  /** Date.now() milliseconds past which the caller no longer waits (Infinity: no deadline). */
  readonly deadlineMs: number;
  cancelled(): boolean;
  /** Takes `bytes` more against the server's bound on bytes in flight; throws past it. */
  hold(bytes: number): void;
}

export type EvaluateAggregate = (req: AggregateRequest, deadlineMs: number) => Promise<Uint8Array>;

export interface NodeCallsOptions {
  db: Database;
  ownsShard: ((shard: number) => boolean) | null;
  evaluateAggregate: EvaluateAggregate | null;
}

/** The longest a fetch holds the event loop before it yields to other work. */
const FETCH_SLICE_MS = 5;
/** Series fetched between two looks at the clock and the deadline (a power of two). */
const FETCH_CHECK_EVERY_SERIES = 16;

export class NodeCalls {
  private readonly db: Database;
  private readonly ownsShard: ((shard: number) => boolean) | null;
  private readonly evaluate: EvaluateAggregate | null;

  constructor(o: NodeCallsOptions) {
    this.db = o.db;
    this.ownsShard = o.ownsShard;
    this.evaluate = o.evaluateAggregate;
  }

  async writeBatch(req: WriteBatchRequest): Promise<WriteBatchResponse> {
    const { namespace, batch } = req;
    const owns = this.ownsShard;
    // A malformed batch goes to the database whole, which refuses it with its own error.
    if (owns === null || !wellFormed(batch)) {
      return wireResult(await this.db.writeBatch(namespace, batch), null);
    }
    // Which of the batch's series this node owns; the others' datapoints are
    // refused one by one, as M3's node refuses a shard it is not responsible for.
    const ids = batch.seriesIds;
    const keep = new Int32Array(ids.length).fill(-1);
    const keptIds: string[] = [];
    const refused: WireWriteError[] = [];
    const shardOfSeries = new Int32Array(ids.length);
    for (let s = 0; s < ids.length; s++) {
      const shard = this.db.shardOfId(ids[s]);
      shardOfSeries[s] = shard;
      if (owns(shard)) {
        keep[s] = keptIds.length;
        keptIds.push(ids[s]);
      }
    }
    if (keptIds.length === ids.length)
      return wireResult(await this.db.writeBatch(namespace, batch), null);
    const kept = narrowBatch(batch, keep, keptIds);
    for (let i = 0; i < batch.count; i++) {
      const s = batch.series[i];
      if (keep[s] < 0) refused.push(wireError(i, new ShardNotOwnedError(shardOfSeries[s])));
    }
    const res = await this.db.writeBatch(namespace, kept.batch);
    const out = wireResult(res, kept.positions);
    // Each series' ref by its position in the caller's batch (-1 for the refused ones).
    const refs = new Float64Array(ids.length).fill(-1);
    for (let s = 0; s < ids.length; s++) if (keep[s] >= 0) refs[s] = res.refs[keep[s]];
    out.refs = refs;
    out.errors = mergeByIndex(out.errors, refused);
    return out;
  }

  async fetchTagged(req: FetchTaggedRequest, ctx: CallContext): Promise<WireSeries[]> {
    const { namespace, startMs, endMs, limits } = req;
    const found = this.queryShards(namespace, req.matchers, startMs, endMs, limits, req.shards);
    const out: WireSeries[] = [];
    const it = limits.maxSamples > 0 ? new MultiStreamIterator() : null;
    let samples = 0;
    let sliceStartMs = performance.now();
    for (let s = 0; s < found.ids.length; s++) {
      if ((s & (FETCH_CHECK_EVERY_SERIES - 1)) === 0 && s > 0) {
        if (ctx.cancelled() || Date.now() > ctx.deadlineMs) {
          throw new CallDeadlineError("FetchTagged", `${s} of ${found.ids.length} series`);
        }
        // In-memory pieces never let I/O in on their own, so the loop yields
        // once it has held the event loop for a slice: writes go on.
        if (performance.now() - sliceStartMs >= FETCH_SLICE_MS) {
          await yieldToLoop();
          sliceStartMs = performance.now();
        }
      }
      const id = found.ids[s];
      // The fetch's range is half-open; the request's end is inclusive.
      const data = await this.db.fetchSeriesData(namespace, id, startMs, endMs + 1);
      if (data.length === 0) continue;
      if (it !== null) {
        const n = countInRange(it, data, startMs, endMs);
        if (n === 0) continue;
        samples += n;
        if (samples > limits.maxSamples) {
          throw new QueryLimitError(
            "maxSamples",
            limits.maxSamples,
            "the series matched hold more datapoints in the range",
          );
        }
      }
      const series: WireSeries = { id, encodedTags: encodeTags(found.tags[s]), data };
      ctx.hold(wireSeriesSize(series));
      out.push(series);
    }
    return out;
  }

  async seriesTags(req: SeriesTagsRequest): Promise<WireSeriesTags[]> {
    const found = this.queryShards(
      req.namespace,
      req.matchers,
      req.startMs,
      req.endMs,
      req.limits,
      req.shards,
    );
    const out: WireSeriesTags[] = new Array(found.ids.length);
    for (let s = 0; s < found.ids.length; s++) {
      out[s] = { id: found.ids[s], encodedTags: encodeTags(found.tags[s]) };
    }
    return out;
  }

  async labelNames(req: LabelNamesRequest): Promise<string[]> {
    return this.db.labelNames(req.namespace, req.matchers, req.startMs, req.endMs + 1);
  }

  async labelValues(req: LabelValuesRequest): Promise<string[]> {
    return this.db.labelValues(req.namespace, req.name, req.matchers, req.startMs, req.endMs + 1);
  }

  async health(): Promise<HealthResponse> {
    const db = this.db;
    const progress = db.bootstrapProgress;
    return {
      state: db.failureReason !== null ? "failed" : progress.state,
      failureReason: db.failureReason ?? progress.error,
    };
  }

  async aggregate(req: AggregateRequest, ctx: CallContext): Promise<Uint8Array> {
    if (this.evaluate === null) throw new AggregateUnsupportedError();
    return this.evaluate(req, ctx.deadlineMs);
  }

  /** The index query over `shards` (the end inclusive, as the client's calls take it). */
  private queryShards(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    limits: { maxSeries: number; maxDocsScanned: number },
    shards: readonly number[] | null,
  ): { ids: string[]; tags: (readonly Tag[])[] } {
    return this.db.queryIndexInShards(
      namespace,
      matchers,
      startMs,
      endMs + 1,
      {
        ...(limits.maxSeries > 0 && { maxSeries: limits.maxSeries }),
        ...(limits.maxDocsScanned > 0 && { maxDocsScanned: limits.maxDocsScanned }),
      },
      shards === null ? null : new Set(shards),
    );
  }
}

function countInRange(
  it: MultiStreamIterator,
  data: readonly SeriesData[],
  startMs: number,
  endMs: number,
): number {
  it.reset(data);
  let n = 0;
  while (it.next()) {
    const t = it.timeMs;
    if (t >= startMs && t <= endMs) n++;
  }
  if (it.error !== null) throw it.error;
  return n;
}

function wellFormed(b: WriteBatch): boolean {
  const n = b.count;
  if (!Number.isInteger(n) || n < 0) return false;
  if (b.series.length < n || b.timesMs.length < n || b.values.length < n) return false;
  if ((b.nsInMs?.length ?? n) < n || (b.units?.length ?? n) < n) return false;
  if ((b.annotations?.length ?? n) < n) return false;
  for (let i = 0; i < n; i++) {
    const s = b.series[i];
    if (!(Number.isInteger(s) && s >= 0 && s < b.seriesIds.length)) return false;
  }
  return true;
}

function wireError(index: number, error: M3tsError): WireWriteError {
  return { index, code: error.code, message: error.message };
}

/** A WriteResult as it crosses the wire; `positions` maps a narrowed batch's indexes back. */
function wireResult(
  res: { written: number; errors: { index: number; error: M3tsError }[]; refs: Float64Array },
  positions: Int32Array | null,
): WriteBatchResponse {
  const errors = res.errors.map((e) =>
    wireError(positions === null ? e.index : positions[e.index], e.error),
  );
  return { written: res.written, errors, refs: res.refs };
}

/** The batch without the series this node does not own, and where each kept datapoint was. */
function narrowBatch(
  b: WriteBatch,
  keep: Int32Array,
  keptIds: string[],
): { batch: WriteBatch; positions: Int32Array } {
  let n = 0;
  for (let i = 0; i < b.count; i++) if (keep[b.series[i]] >= 0) n++;
  const positions = new Int32Array(n);
  const series = new Uint32Array(n);
  const timesMs = new Float64Array(n);
  const values = new Float64Array(n);
  const nsInMs = b.nsInMs === undefined ? undefined : new Float64Array(n);
  const units = b.units === undefined ? undefined : new Uint8Array(n);
  const annotations = b.annotations === undefined ? undefined : new Array<Uint8Array | null>(n);
  // Values are copied as bits so NaN payloads (stale markers) survive.
  const valueBits = new Uint8Array(values.buffer);
  const source = b.values instanceof Float64Array ? b.values : Float64Array.from(b.values);
  const sourceBits = new Uint8Array(source.buffer, source.byteOffset, source.length * 8);
  let j = 0;
  for (let i = 0; i < b.count; i++) {
    const s = keep[b.series[i]];
    if (s < 0) continue;
    positions[j] = i;
    series[j] = s;
    timesMs[j] = b.timesMs[i];
    valueBits.set(sourceBits.subarray(i * 8, i * 8 + 8), j * 8);
    if (nsInMs !== undefined && b.nsInMs !== undefined) nsInMs[j] = b.nsInMs[i];
    if (units !== undefined && b.units !== undefined) units[j] = b.units[i];
    if (annotations !== undefined && b.annotations !== undefined) {
      annotations[j] = b.annotations[i];
    }
    j++;
  }
  const seriesTags: (Uint8Array | null)[] | undefined = b.seriesTags === undefined ? undefined : [];
  const seriesRefs: number[] | undefined = b.seriesRefs === undefined ? undefined : [];
  for (let s = 0; s < b.seriesIds.length; s++) {
    if (keep[s] < 0) continue;
    seriesTags?.push(b.seriesTags?.[s] ?? null);
    seriesRefs?.push(b.seriesRefs?.[s] ?? -1);
  }
  const batch: WriteBatch = { count: n, series, timesMs, values, seriesIds: keptIds };
  if (seriesTags !== undefined) batch.seriesTags = seriesTags;
  if (seriesRefs !== undefined) batch.seriesRefs = seriesRefs;
  if (nsInMs !== undefined) batch.nsInMs = nsInMs;
  if (units !== undefined) batch.units = units;
  if (annotations !== undefined) batch.annotations = annotations;
  return { batch, positions };
}

function mergeByIndex(a: WireWriteError[], b: WireWriteError[]): WireWriteError[] {
  if (a.length === 0) return b;
  return [...a, ...b].sort((x, y) => x.index - y.index);
}

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
