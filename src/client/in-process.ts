// The client of a single node: calls the Database of this process directly.

import type { NamespaceOptions } from "../dbnode/namespace/index.js";
import type { Database } from "../dbnode/storage/index.js";
import type { WriteBatch, WriteResult } from "../dbnode/ts/index.js";
import { type Matcher, QueryLimitError } from "../index/index.js";
import type { Tag } from "../x/index.js";
import {
  type Client,
  FetchDeadlineError,
  type FetchedSeries,
  type FetchLimits,
  type IndexLimits,
  type NodeState,
  type SeriesTags,
} from "./client.js";

export interface InProcessClientOptions {
  /**
   * Only the series of these shards: a node evaluating a pushed-down
   * aggregation reads the shards it is asked for, not every shard it holds.
   * Absent: every series.
   */
  shards?: ReadonlySet<number>;
}

export class InProcessClient implements Client {
  private readonly db: Database;
  private readonly shards: ReadonlySet<number> | null;
  private scratchTimes = new Float64Array(1024);
  private scratchValues = new Float64Array(1024);

  constructor(db: Database, options: InProcessClientOptions = {}) {
    this.db = db;
    this.shards = options.shards ?? null;
  }

  writeBatch(namespace: string, batch: WriteBatch): Promise<WriteResult> {
    return this.db.writeBatch(namespace, batch);
  }

  async fetchTagged(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    limits: FetchLimits,
  ): Promise<FetchedSeries[]> {
    // The index and fetch take half-open ranges; remote read's end is inclusive.
    const found = this.query(namespace, matchers, startMs, endMs + 1, limits);
    const out: FetchedSeries[] = [];
    let total = 0;
    // Every series decodes into one scratch pair that grows to the longest
    // series, and leaves with arrays of exactly its size.
    let timesMs = this.scratchTimes;
    let values = this.scratchValues;
    // Awaiting a fetch whose streams are in memory never lets I/O in, so the
    // loop yields itself once it has held the event loop for a slice: writes
    // are acknowledged while a query reads thousands of series.
    let sliceStartMs = performance.now();
    for (let s = 0; s < found.ids.length; s++) {
      if ((s & (FETCH_CHECK_EVERY_SERIES - 1)) === 0 && s > 0) {
        if (limits.deadlineMs !== undefined && Date.now() > limits.deadlineMs) {
          throw new FetchDeadlineError(limits.deadlineMs, s, found.ids.length);
        }
        const nowMs = performance.now();
        if (nowMs - sliceStartMs >= FETCH_SLICE_MS) {
          await yieldToLoop();
          sliceStartMs = performance.now();
        }
      }
      const it = await this.db.fetch(namespace, found.ids[s], startMs, endMs + 1);
      let count = 0;
      while (it.next()) {
        const t = it.timeMs;
        if (t < startMs || t > endMs) continue;
        if (count === timesMs.length) {
          timesMs = grow(timesMs);
          values = grow(values);
          this.scratchTimes = timesMs;
          this.scratchValues = values;
        }
        timesMs[count] = t;
        values[count] = it.value;
        count++;
      }
      if (it.error !== null) throw it.error;
      total += count;
      if (limits.maxSamples > 0 && total > limits.maxSamples) {
        throw new QueryLimitError(
          "maxSamples",
          limits.maxSamples,
          `the series matched hold more datapoints in the range`,
        );
      }
      if (count > 0) {
        out.push({
          id: found.ids[s],
          tags: found.tags[s],
          timesMs: timesMs.slice(0, count),
          values: values.slice(0, count),
          count,
        });
      }
    }
    return out;
  }

  async seriesTags(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    limits: IndexLimits,
  ): Promise<SeriesTags[]> {
    // The index takes a half-open range; this end is inclusive, as fetchTagged's.
    const { ids, tags } = this.query(namespace, matchers, startMs, endMs + 1, limits);
    const out: SeriesTags[] = new Array(ids.length);
    for (let s = 0; s < ids.length; s++) out[s] = { id: ids[s], tags: tags[s] };
    return out;
  }

  async labelNames(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
  ): Promise<string[]> {
    return this.db.labelNames(namespace, matchers, startMs, endMs + 1);
  }

  async labelValues(
    namespace: string,
    name: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
  ): Promise<string[]> {
    return this.db.labelValues(namespace, name, matchers, startMs, endMs + 1);
  }

  namespaces(): { name: string; options: NamespaceOptions }[] {
    return this.db.listNamespaces();
  }

  state(): NodeState {
    return this.db.failureReason !== null ? "failed" : this.db.bootstrapProgress.state;
  }

  failureReason(): string | null {
    return this.db.failureReason ?? this.db.bootstrapProgress.error;
  }

  private query(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    limits: IndexLimits,
  ): { ids: string[]; tags: (readonly Tag[])[] } {
    return this.db.queryIndexInShards(
      namespace,
      matchers,
      startMs,
      endMs,
      {
        ...(limits.maxSeries > 0 && { maxSeries: limits.maxSeries }),
        ...(limits.maxDocsScanned > 0 && { maxDocsScanned: limits.maxDocsScanned }),
      },
      this.shards,
    );
  }
}

/** The longest a fetch holds the event loop before it yields to other work. */
const FETCH_SLICE_MS = 5;
/** Series fetched between two looks at the clock (a power of two). */
const FETCH_CHECK_EVERY_SERIES = 16;

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function grow(a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}
