// One node's write queue (M3-NOTES §9.4, M3's src/dbnode/client/host_queue.go):
// datapoints bound for the node gather into one batch, sent when it holds
// maxOpsPerBatch datapoints or flushIntervalMs after its first one (M3: 128
// ops, 5 ms). A node that refuses a batch as overloaded or cannot be reached
// gets it again after a backoff, a bounded number of times within the
// datapoints' deadline. At most maxBatchesInFlight batches are on the wire
// to the node at once; the others wait here, so a burst does not run into
// the node's own bound on calls in flight and lose a replica's writes to
// its refusals. The datapoints queued or in flight are bounded: past
// maxQueuedOps a datapoint fails at once with HostQueueFullError rather than
// the queue growing without end.

import type { WriteBatch } from "../dbnode/ts/index.js";
import { type Clock, M3tsError, TimeUnit } from "../x/index.js";
import { asM3tsError, withDeadline } from "./deadline.js";
import { NodeOverloadedError, type NodeTransport, NodeUnavailableError } from "./transport.js";

/** A caller's write whose datapoints the queue sends; told of each datapoint's outcome on this node. */
export interface ReplicaWriteSink {
  readonly namespace: string;
  readonly batch: WriteBatch;
  /** Wall-clock milliseconds past which the datapoints are not sent again. */
  readonly deadlineMs: number;
  /** Datapoint `index` of `batch` on replica `slot` (the sink's numbering): null on success. */
  replicaDone(index: number, slot: number, error: M3tsError | null): void;
}

export interface HostQueueOptions {
  /** A batch is sent once it holds this many datapoints (M3's hostQueueOpsFlushSize, 128). */
  maxOpsPerBatch: number;
  /** A batch is sent this long after its first datapoint at the latest (M3's 5 ms). */
  flushIntervalMs: number;
  /** Datapoints queued or in flight to the node, at most; past it a datapoint fails fast. */
  maxQueuedOps: number;
  /** Batches sent to the node and not yet answered, at most; the rest wait in the queue. */
  maxBatchesInFlight: number;
  /** Sends of one batch, at most (the first included). */
  maxWriteAttempts: number;
  /** The wait before the second send; it doubles for each further one. */
  retryBackoffMs: number;
  /** The wall clock deadlines are measured on. */
  wallClock: Clock;
}

/** A node's queue held more datapoints than its bound, so this one was not queued. Retryable. */
export class HostQueueFullError extends M3tsError {
  readonly endpoint: string;
  readonly maxQueuedOps: number;

  constructor(endpoint: string, maxQueuedOps: number) {
    super(
      "M3TS_ERR_HOST_QUEUE_FULL",
      `the write queue of node ${endpoint} holds its bound of ${maxQueuedOps} datapoints; retry later`,
    );
    this.endpoint = endpoint;
    this.maxQueuedOps = maxQueuedOps;
  }
}

export class HostQueue {
  readonly endpoint: string;
  private readonly transport: NodeTransport;
  private readonly options: HostQueueOptions;
  // The batch being gathered, as parallel columns: datapoint k is
  // datapoint idxs[k] of sinks[k]'s batch, for the sink's replica slots[k].
  private sinks: ReplicaWriteSink[] = [];
  private idxs: number[] = [];
  private slots: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  private queued = 0;
  private inFlight = 0;
  private closed = false;

  constructor(transport: NodeTransport, options: HostQueueOptions) {
    this.endpoint = transport.endpoint;
    this.transport = transport;
    this.options = options;
  }

  /** Datapoints queued or in flight. */
  get queuedOps(): number {
    return this.queued;
  }

  /** Queues one datapoint; refuses it at once (through the sink) past the bound or after close. */
  enqueue(sink: ReplicaWriteSink, index: number, slot: number): void {
    if (this.closed) {
      sink.replicaDone(index, slot, new NodeUnavailableError(this.endpoint, "its queue is closed"));
      return;
    }
    if (this.queued >= this.options.maxQueuedOps) {
      sink.replicaDone(
        index,
        slot,
        new HostQueueFullError(this.endpoint, this.options.maxQueuedOps),
      );
      return;
    }
    this.queued++;
    this.sinks.push(sink);
    this.idxs.push(index);
    this.slots.push(slot);
    if (this.sinks.length >= this.options.maxOpsPerBatch) {
      this.flush();
    } else if (this.timer === null && this.inFlight < this.options.maxBatchesInFlight) {
      this.timer = setTimeout(() => this.flush(), this.options.flushIntervalMs);
    }
  }

  /**
   * Sends what is gathered now, as batches of at most maxOpsPerBatch, while
   * fewer than maxBatchesInFlight are on the wire; what is left is sent as
   * answers come back.
   */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.sinks.length > 0 && this.inFlight < this.options.maxBatchesInFlight) {
      const take = Math.min(this.sinks.length, this.options.maxOpsPerBatch);
      const sinks = this.sinks.splice(0, take);
      const idxs = this.idxs.splice(0, take);
      const slots = this.slots.splice(0, take);
      this.sendGathered(sinks, idxs, slots);
    }
  }

  private sendGathered(sinks: ReplicaWriteSink[], idxs: number[], slots: number[]): void {
    // A batch carries one namespace; datapoints of several go out as several batches.
    const byNamespace = new Map<string, number[]>();
    for (let k = 0; k < sinks.length; k++) {
      const ns = sinks[k].namespace;
      let list = byNamespace.get(ns);
      if (list === undefined) {
        list = [];
        byNamespace.set(ns, list);
      }
      list.push(k);
    }
    for (const [ns, ks] of byNamespace) {
      this.inFlight++;
      void this.send(
        ns,
        ks.map((k) => sinks[k]),
        ks.map((k) => idxs[k]),
        ks.map((k) => slots[k]),
      ).finally(() => {
        this.inFlight--;
        // The gathered datapoints that waited for a free slot go now.
        if (this.sinks.length > 0 && !this.closed) this.flush();
      });
    }
  }

  /** Fails what is gathered and refuses new datapoints; batches in flight finish. */
  close(): void {
    this.closed = true;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const sinks = this.sinks;
    const idxs = this.idxs;
    const slots = this.slots;
    this.sinks = [];
    this.idxs = [];
    this.slots = [];
    this.queued -= sinks.length;
    const error = new NodeUnavailableError(this.endpoint, "it left the placement");
    for (let k = 0; k < sinks.length; k++) sinks[k].replicaDone(idxs[k], slots[k], error);
  }

  private async send(
    namespace: string,
    sinks: ReplicaWriteSink[],
    idxs: number[],
    slots: number[],
  ): Promise<void> {
    const batch = buildBatch(sinks, idxs);
    let deadlineMs = Number.POSITIVE_INFINITY;
    for (const s of sinks) if (s.deadlineMs < deadlineMs) deadlineMs = s.deadlineMs;
    const clock = this.options.wallClock;
    let errors: (M3tsError | null)[] | null = null;
    let failure: M3tsError | null = null;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await withDeadline(this.endpoint, deadlineMs, clock.nowMs(), () =>
          this.transport.writeBatch(namespace, batch, deadlineMs),
        );
        errors = new Array<M3tsError | null>(sinks.length).fill(null);
        for (const e of result.errors) {
          if (e.index >= 0 && e.index < errors.length) errors[e.index] = e.error;
        }
        break;
      } catch (e) {
        failure = asM3tsError(this.endpoint, e);
        const retryable =
          failure instanceof NodeOverloadedError || failure instanceof NodeUnavailableError;
        const backoffMs = this.options.retryBackoffMs * 2 ** (attempt - 1);
        if (
          !retryable ||
          this.closed ||
          attempt >= this.options.maxWriteAttempts ||
          clock.nowMs() + backoffMs >= deadlineMs
        ) {
          break;
        }
        await sleep(backoffMs);
      }
    }
    this.queued -= sinks.length;
    for (let k = 0; k < sinks.length; k++) {
      sinks[k].replicaDone(idxs[k], slots[k], errors === null ? failure : errors[k]);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Per source batch, where each of its series sits in the batch being built:
 * ref[s] is valid while stamp[s] equals the build's generation, so a build
 * neither clears the arrays nor hashes series IDs.
 */
interface SeriesRefs {
  stamp: Int32Array;
  ref: Int32Array;
}
const refsOf = new WeakMap<WriteBatch, SeriesRefs>();
let generation = 0;

/** One WriteBatch of the datapoints (sinks[k]'s datapoint idxs[k]), each series listed once. */
function buildBatch(sinks: readonly ReplicaWriteSink[], idxs: readonly number[]): WriteBatch {
  const count = sinks.length;
  const series = new Int32Array(count);
  const timesMs = new Float64Array(count);
  const values = new Float64Array(count);
  const seriesIds: string[] = [];
  const seriesTags: (Uint8Array | null)[] = [];
  // Different source batches may hold the same series: it is listed once per source here,
  // which the node accepts (a series may appear under several indices).
  generation = (generation + 1) | 0;
  const gen = generation;
  let src: WriteBatch | null = null;
  let refs: SeriesRefs = { stamp: new Int32Array(0), ref: new Int32Array(0) };
  let nsInMs: Float64Array | undefined;
  let units: Int32Array | undefined;
  let annotations: (Uint8Array | null)[] | undefined;
  for (let k = 0; k < count; k++) {
    const b = sinks[k].batch;
    if (b !== src) {
      src = b;
      let got = refsOf.get(b);
      if (got === undefined) {
        const n = b.seriesIds.length;
        got = { stamp: new Int32Array(n), ref: new Int32Array(n) };
        refsOf.set(b, got);
      }
      refs = got;
    }
    const i = idxs[k];
    const s = b.series[i];
    let ref: number;
    if (refs.stamp[s] === gen) {
      ref = refs.ref[s];
    } else {
      ref = seriesIds.length;
      refs.stamp[s] = gen;
      refs.ref[s] = ref;
      seriesIds.push(b.seriesIds[s]);
      seriesTags.push(b.seriesTags?.[s] ?? null);
    }
    series[k] = ref;
    timesMs[k] = b.timesMs[i];
    values[k] = b.values[i];
    if (b.nsInMs !== undefined) {
      nsInMs ??= new Float64Array(count);
      nsInMs[k] = b.nsInMs[i];
    }
    if (b.units !== undefined) {
      // Datapoints of sources without units take the node's default, milliseconds.
      units ??= new Int32Array(count).fill(TimeUnit.Millisecond);
      units[k] = b.units[i];
    }
    if (b.annotations !== undefined) {
      annotations ??= new Array<Uint8Array | null>(count).fill(null);
      annotations[k] = b.annotations[i];
    }
  }
  const batch: WriteBatch = { count, series, timesMs, values, seriesIds, seriesTags };
  if (nsInMs !== undefined) batch.nsInMs = nsInMs;
  if (units !== undefined) batch.units = units;
  if (annotations !== undefined) batch.annotations = annotations;
  return batch;
}
