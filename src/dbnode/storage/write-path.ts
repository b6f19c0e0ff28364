// The write path (docs/architecture.md, "A write"): a batch's series are
// resolved (created if new) and pinned, each datapoint is checked against its
// series, its time and the write window, the accepted ones go to the commit
// log, and once the log has them (under its strategy) into the series' buffers.
// A series stays pinned across the commit wait, so the tick cannot remove it
// meanwhile. The loops work on the batch's columns and reused scratch arrays:
// nothing is allocated per datapoint but the errors of the rejected ones.
import { isWritableUnit } from "../../codec/index.js";
import {
  type Clock,
  checkEncodedTags,
  compareUtf8,
  decodeTags,
  M3tsError,
  seriesIdOfEncodedTags,
  shardOf,
  TimeUnit,
} from "../../x/index.js";
import { CommitLogClosedError, CommitLogWriteError } from "../commitlog/index.js";
import type { WriteBatch, WriteResult } from "../ts/index.js";
import {
  InvalidSeriesError,
  InvalidWriteError,
  NamespaceChangingError,
  NodeStoppingError,
  WriteWindowError,
} from "./errors.js";
import type { Lifecycle } from "./lifecycle.js";
import type { StorageMetrics } from "./metrics.js";
import type { Namespace } from "./namespace.js";
import type { Namespaces } from "./namespaces.js";
import type { Sequences } from "./sequences.js";
import { WriteType } from "./series-buffer.js";
import { badTime, checkBatchShape, outsideWindow } from "./write-checks.js";

/** A series of a batch that could not be resolved, and why. */
export interface SeriesFailure {
  /** The series' position in the batch's seriesIds. */
  series: number;
  error: M3tsError;
}

/** A batch's series resolved: a ref per series, -1 for each one in `failures`. */
export interface ResolvedSeries {
  refs: Float64Array;
  /** The series that could not be resolved, in batch order. */
  failures: SeriesFailure[];
}

/** The limits a new series is checked against, and how it is sharded. */
export interface SeriesLimits {
  readonly maxIdBytes: number;
  readonly maxTags: number;
  readonly numShards: number;
  readonly shardSeed: number;
}

type DatapointError = { index: number; error: M3tsError };

const utf8 = new TextEncoder();

export class WritePath {
  private readonly limits: SeriesLimits;
  /** Set with a data directory: writes of namespaces that use it go to the commit log first. */
  private readonly durable: boolean;
  private readonly clock: Clock;
  private readonly namespaces: Namespaces;
  private readonly life: Lifecycle;
  private readonly metrics: StorageMetrics;
  private readonly sequences: Sequences;
  /** Writes appended to the commit log but not yet in the buffers. */
  private readonly inflight = new Set<Promise<WriteResult>>();
  // Scratch for a batch's accepted datapoints and their write types.
  private accepted = new Int32Array(1024);
  private acceptedType = new Uint8Array(1024);

  constructor(
    limits: SeriesLimits,
    durable: boolean,
    clock: Clock,
    namespaces: Namespaces,
    life: Lifecycle,
    metrics: StorageMetrics,
    sequences: Sequences,
  ) {
    this.limits = limits;
    this.durable = durable;
    this.clock = clock;
    this.namespaces = namespaces;
    this.life = life;
    this.metrics = metrics;
    this.sequences = sequences;
  }

  /**
   * Writes a batch. Each datapoint is accepted or rejected on its own; the
   * accepted ones are in the commit log (under its strategy) before this
   * resolves. Throws only for what fails the whole batch: an unknown
   * namespace, bootstrap not finished, a commit log that cannot write.
   */
  async writeBatch(namespace: string, batch: WriteBatch): Promise<WriteResult> {
    this.life.checkWritable("write");
    const ns = this.namespaces.namespaceOf(namespace);
    checkBatchShape(batch);
    const errors: DatapointError[] = [];
    // Every resolved series stays pinned until its datapoints are in its
    // buffer (or the batch fails): the tick cannot remove it meanwhile.
    const resolved = this.resolveSeries(ns, batch);
    const refs = resolved.refs;
    try {
      return await this.writeResolved(ns, batch, resolved, errors);
    } finally {
      for (let s = 0; s < refs.length; s++) if (refs[s] >= 0) ns.series.unpin(refs[s]);
    }
  }

  /**
   * Rotates the commit log, then waits for the writes appended before the
   * rotation to reach the buffers: a snapshot taken after this holds every
   * datapoint of the older files. Resolves with the new file's index.
   */
  async rotateForSnapshot(): Promise<number | null> {
    const p = this.life.withOpenLog;
    if (p === null) return null;
    const before = [...this.inflight];
    await p.log.rotate();
    await Promise.allSettled(before);
    return p.log.currentIndex;
  }

  /** Settles when every write in flight now has reached the buffers or failed. */
  settled(): Promise<unknown> {
    return Promise.allSettled([...this.inflight]);
  }

  private async writeResolved(
    ns: Namespace,
    batch: WriteBatch,
    resolved: ResolvedSeries,
    errors: DatapointError[],
  ): Promise<WriteResult> {
    // Validate every datapoint against the series, its time and the window.
    const n = batch.count;
    if (this.accepted.length < n) {
      this.accepted = new Int32Array(n);
      this.acceptedType = new Uint8Array(n);
    }
    const accepted = this.accepted;
    const acceptedType = this.acceptedType;
    const refs = resolved.refs;
    const window = ns.window(this.clock.nowMs());
    const coldOk = ns.options.coldWritesEnabled;
    const { series, timesMs, nsInMs, units } = batch;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const s = series[i];
      const ref = refs[s];
      if (ref < 0) {
        errors.push({ index: i, error: failureOf(resolved.failures, s) });
        continue;
      }
      const t = timesMs[i];
      const ns_ = nsInMs === undefined ? 0 : nsInMs[i];
      if (!Number.isSafeInteger(t) || !Number.isInteger(ns_) || ns_ < 0 || ns_ > 999_999) {
        errors.push({ index: i, error: badTime(t, ns_) });
        continue;
      }
      if (units !== undefined && !isWritableUnit(units[i])) {
        errors.push({
          index: i,
          error: new InvalidWriteError("unit", `time unit ${units[i]} is not s, ms, us or ns`),
        });
        continue;
      }
      let type: WriteType = WriteType.Warm;
      if (t < window.warmStartMs || t >= window.warmEndMs) {
        const why = outsideWindow(t, window, coldOk);
        if (why !== null) {
          const start = coldOk ? window.retentionStartMs : window.warmStartMs;
          const end = coldOk ? window.futureEndMs : window.warmEndMs;
          errors.push({ index: i, error: new WriteWindowError(ns.name, t, start, end, why) });
          continue;
        }
        type = WriteType.Cold;
      }
      accepted[count] = i;
      acceptedType[count] = type;
      count++;
    }

    if (count === 0 || !ns.options.writesToCommitLog || !this.durable) {
      return this.applyToBuffers(ns, batch, refs, accepted, acceptedType, count, errors);
    }
    // Durable first: the commit log holds the batch before any buffer does.
    const p = this.life.withOpenLog;
    if (p === null) throw new NodeStoppingError("write");
    const log = p.log;
    try {
      for (let k = 0; k < count; k++) {
        const i = accepted[k];
        log.append(
          ns.series.metadata(refs[series[i]]),
          timesMs[i],
          nsInMs === undefined ? 0 : nsInMs[i],
          batch.values[i],
          units === undefined ? TimeUnit.Millisecond : units[i],
          batch.annotations?.[i] ?? null,
        );
      }
    } catch (err) {
      if (err instanceof CommitLogWriteError) this.life.failStop(err);
      if (err instanceof CommitLogClosedError) throw new NodeStoppingError("write");
      throw err;
    }
    // Copy out the accepted set: another batch may reuse the scratch during the await.
    const keep = accepted.slice(0, count);
    const keepType = acceptedType.slice(0, count);
    const applied = log.commit().then(
      () => {
        // The namespace may have been dropped (and even created again) while
        // the commit was awaited: its datapoints are not written, and say so.
        if (!this.namespaces.isLive(ns)) {
          const why = new NamespaceChangingError(ns.name, "was dropped while the write waited");
          for (let k = 0; k < count; k++) errors.push({ index: keep[k], error: why });
          errors.sort((a, b) => a.index - b.index);
          this.countWrites(ns.name, 0, errors);
          return { written: 0, errors, refs };
        }
        return this.applyToBuffers(ns, batch, refs, keep, keepType, count, errors);
      },
      (err: unknown) => {
        if (err instanceof CommitLogWriteError) this.life.failStop(err);
        throw err;
      },
    );
    // A snapshot waits for the writes appended before its rotation (rotateForSnapshot).
    this.inflight.add(applied);
    try {
      return await applied;
    } finally {
      this.inflight.delete(applied);
    }
  }

  private applyToBuffers(
    ns: Namespace,
    batch: WriteBatch,
    refs: Float64Array,
    accepted: Int32Array,
    acceptedType: Uint8Array,
    count: number,
    errors: DatapointError[],
  ): WriteResult {
    const { series, timesMs, values, nsInMs, units, annotations } = batch;
    const seqs = this.sequences;
    let written = 0;
    for (let k = 0; k < count; k++) {
      const i = accepted[k];
      const ref = refs[series[i]];
      const buffer = ns.series.buffers[ref];
      // Pinned since it was resolved: a missing buffer is a broken invariant, not a skip.
      if (buffer === null) {
        throw new Error(`series ref ${ref} of namespace ${ns.name} was removed while pinned`);
      }
      const t = timesMs[i];
      try {
        buffer.write(
          ns.blockStart(t),
          acceptedType[k] as WriteType,
          t,
          nsInMs === undefined ? 0 : nsInMs[i],
          values[i],
          units === undefined ? TimeUnit.Millisecond : units[i],
          annotations?.[i] ?? null,
          seqs,
        );
        ns.indexWrite(ref, t);
        written++;
      } catch (e) {
        if (!(e instanceof M3tsError)) throw e;
        errors.push({ index: i, error: e });
      }
    }
    if (errors.length > 1) errors.sort((a, b) => a.index - b.index);
    this.countWrites(ns.name, written, errors);
    return { written, errors, refs };
  }

  private countWrites(namespace: string, written: number, errors: { error: M3tsError }[]): void {
    if (written > 0) this.metrics.datapointsWritten.inc({ namespace }, written);
    for (const { error } of errors)
      this.metrics.datapointsRejected.inc({ namespace, code: error.code });
  }

  /**
   * Finds or creates the batch's series and pins each one found; -1 where
   * it cannot, with the series and its error among the failures.
   */
  private resolveSeries(ns: Namespace, batch: WriteBatch): ResolvedSeries {
    const ids = batch.seriesIds;
    const table = ns.series;
    const refs = new Float64Array(ids.length);
    const failures: SeriesFailure[] = [];
    for (let s = 0; s < ids.length; s++) {
      const given = batch.seriesRefs?.[s] ?? -1;
      let ref: number;
      if (given >= 0 && table.ids[given] === ids[s]) {
        ref = given;
      } else {
        const known = table.byId.get(ids[s]);
        if (known !== undefined) {
          ref = known;
        } else {
          try {
            ref = this.createSeries(ns, ids[s], batch.seriesTags?.[s] ?? null);
          } catch (e) {
            if (!(e instanceof M3tsError)) throw e;
            refs[s] = -1;
            failures.push({ series: s, error: e });
            continue;
          }
        }
      }
      table.pin(ref);
      refs[s] = ref;
    }
    return { refs, failures };
  }

  private createSeries(ns: Namespace, id: string, encodedTags: Uint8Array | null): number {
    const { maxIdBytes, maxTags } = this.limits;
    if (id.length === 0) throw new InvalidSeriesError("id", "series ID is empty");
    const idBytes = utf8.encode(id);
    if (idBytes.length > maxIdBytes) {
      throw new InvalidSeriesError(
        "id",
        `series ID of ${idBytes.length} bytes is longer than the limit of ${maxIdBytes} bytes`,
      );
    }
    if (encodedTags === null) {
      throw new InvalidSeriesError(
        "tags",
        `new series ${JSON.stringify(id.slice(0, 200))} was written without its tags`,
      );
    }
    const tagCount = checkEncodedTags(encodedTags); // throws InvalidTagsError naming what is wrong
    if (tagCount > maxTags) {
      throw new InvalidSeriesError(
        "tags",
        `series has ${tagCount} tags, more than the limit of ${maxTags}`,
      );
    }
    checkCanonical(id, idBytes, encodedTags);
    this.metrics.seriesCreated.inc({ namespace: ns.name });
    // The series keeps its own copy: the caller's bytes may be a view into
    // a request (the node RPC's) that must not live as long as the series.
    return ns.addSeries(
      id,
      this.sequences.nextSeriesIndex(),
      shardOf(idBytes, this.limits.numShards, this.limits.shardSeed),
      encodedTags.slice(),
      true,
    );
  }
}

/** The error of batch series `s`, one of `failures` (sorted by series). */
function failureOf(failures: readonly SeriesFailure[], s: number): M3tsError {
  let lo = 0;
  let hi = failures.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const f = failures[mid];
    if (f.series === s) return f.error;
    if (f.series < s) lo = mid + 1;
    else hi = mid - 1;
  }
  // resolveSeries records a failure for every series it gives ref -1.
  throw new Error(`batch series ${s} has no ref and no recorded failure`);
}

/**
 * One series, one ID: the ID must be the canonical (M3 "quoted") ID of its
 * tags, and the tags sorted by name without repeats, or two writers could
 * create two series for the same tags.
 */
function checkCanonical(id: string, idBytes: Uint8Array, encodedTags: Uint8Array): void {
  const tags = decodeTags(encodedTags);
  for (let i = 1; i < tags.length; i++) {
    if (compareUtf8(tags[i - 1][0], tags[i][0]) >= 0) {
      throw new InvalidSeriesError(
        "tags",
        `tags must be sorted by name without repeats: "${tags[i - 1][0]}" comes before "${tags[i][0]}"`,
      );
    }
  }
  const canonical = seriesIdOfEncodedTags(encodedTags);
  if (canonical.length !== idBytes.length || canonical.some((b, i) => b !== idBytes[i])) {
    throw new InvalidSeriesError(
      "id",
      `series ID ${JSON.stringify(id.slice(0, 200))} is not the canonical ID of its tags, ` +
        `${JSON.stringify(new TextDecoder().decode(canonical).slice(0, 200))}`,
    );
  }
}
