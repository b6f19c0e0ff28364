// Prometheus remote write (1.0 and 2.0) at /api/v1/prom/remote/write and
// /api/v1/write: snappy body → columns → known series from their label bytes
// → one batch write, acknowledged once the commit log holds it. Invalid
// series and samples are refused one by one (400 naming the first), the
// valid samples of the same request are still written, as in M3's
// src/query/api/v1/handler/prometheus/remote/write.go.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Client, WriteBatch } from "../../client/index.js";
import type { MetricMetadataStore } from "../../query/metadata/index.js";
import type { Logger, M3tsError } from "../../x/index.js";
import {
  isClientError,
  OverloadedError,
  readBody,
  SamplesRejectedError,
  sendFailure,
} from "../http.js";
import type { CoordinatorMetrics } from "../metrics.js";
import { SeriesWriteError } from "../series-errors.js";
import { unsnappy } from "../wire/index.js";
import { namespaceOf, writeTargetOf } from "../write-headers.js";
import { MetadataFeed } from "./metadata-feed.js";
import {
  checkContentEncoding,
  EXEMPLARS_WRITTEN_HEADER,
  HISTOGRAMS_WRITTEN_HEADER,
  remoteWriteVersionOf,
  SAMPLES_WRITTEN_HEADER,
} from "./remote-write-version.js";
import { describeSeries, SeriesCache } from "./series-cache.js";
import { decodeLabels, decodeWriteRequest, WriteRequestColumns } from "./write-request.js";
import { decodeWriteRequestV2 } from "./write-request-v2.js";

export interface IngestLimits {
  maxBodyBytes: number;
  /** Write requests handled at once; one more is refused with 503 so the sender retries. */
  maxInflightWriteRequests: number;
  /** Samples decoded and not yet acknowledged; past it requests are refused with 503. */
  maxPendingWriteSamples: number;
  /** Bound on the series cache's memory in bytes (default DEFAULT_SERIES_CACHE_BYTES). */
  maxSeriesCacheBytes?: number;
}

/** Per-request working columns, pooled: a request owns one until its write resolves. */
class Scratch {
  readonly cols = new WriteRequestColumns();
  entry = new Int32Array(256);
  /** Per batch series: the request series it came from. */
  origin = new Int32Array(256);
  series = new Int32Array(1024);
  refs = new Float64Array(256);
  readonly ids: string[] = [];
  readonly tags: Uint8Array[] = [];
}

export class RemoteWriteHandler {
  readonly cache: SeriesCache;
  private readonly client: Client;
  private readonly namespace: string;
  private readonly limits: IngestLimits;
  private readonly metrics: CoordinatorMetrics;
  private readonly logger: Logger;
  private readonly pool: Scratch[] = [];
  /** Where the requests' metric metadata goes; null drops it (counted). */
  private readonly metadata: MetadataFeed | null;
  private inflight = 0;
  private pendingSamples = 0;

  constructor(deps: {
    client: Client;
    namespace: string;
    limits: IngestLimits;
    metrics: CoordinatorMetrics;
    logger: Logger;
    /** Keeps the metric metadata requests carry; without it, metadata is dropped. */
    metadata?: MetricMetadataStore;
  }) {
    this.client = deps.client;
    this.namespace = deps.namespace;
    this.limits = deps.limits;
    this.cache = new SeriesCache(undefined, deps.limits.maxSeriesCacheBytes);
    this.metrics = deps.metrics;
    this.logger = deps.logger;
    this.metadata = deps.metadata === undefined ? null : new MetadataFeed(deps.metadata);
  }

  /** Requests being handled now. */
  get inflightRequests(): number {
    return this.inflight;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    if (this.inflight >= this.limits.maxInflightWriteRequests) {
      req.resume();
      const busy = new OverloadedError(
        503,
        `too many write requests in flight (coordinator.maxInflightWriteRequests = ${this.limits.maxInflightWriteRequests}); retry later`,
      );
      sendFailure(res, busy, this.logger);
      return;
    }
    this.inflight++;
    const scratch = this.pool.pop() ?? new Scratch();
    let pending = 0;
    try {
      const version = remoteWriteVersionOf(req.headers["content-type"]);
      checkContentEncoding(header(req, "content-encoding"));
      const namespace = namespaceOf(writeTargetOf(req.headers), this.namespace);
      const body = unsnappy(
        await readBody(req, this.limits.maxBodyBytes),
        this.limits.maxBodyBytes,
      );
      const cols = scratch.cols;
      if (version === "2.0") decodeWriteRequestV2(body, cols);
      else decodeWriteRequest(body, cols, true);
      this.countDropped(cols);
      if (this.pendingSamples + cols.samples > this.limits.maxPendingWriteSamples) {
        throw new OverloadedError(
          503,
          `${this.pendingSamples} samples are waiting to be written, more than coordinator.maxPendingWriteSamples = ${this.limits.maxPendingWriteSamples} allows with ${cols.samples} more; retry later`,
        );
      }
      pending = cols.samples;
      this.pendingSamples += pending;
      this.metadata?.record(body, cols, version);
      this.metrics.samplesReceived.inc({ protocol: "prometheus" }, cols.samples);
      const outcome = await this.write(namespace, body, scratch);
      if (version === "2.0") {
        res.setHeader(SAMPLES_WRITTEN_HEADER, String(outcome.written));
        res.setHeader(HISTOGRAMS_WRITTEN_HEADER, "0");
        res.setHeader(EXEMPLARS_WRITTEN_HEADER, "0");
      }
      if (outcome.firstError !== null) {
        throw new SamplesRejectedError({ ...outcome, firstError: outcome.firstError });
      }
      res.writeHead(204);
      res.end();
    } catch (e) {
      sendFailure(res, e, this.logger, { handler: "remote write" });
    } finally {
      this.pendingSamples -= pending;
      this.inflight--;
      this.pool.push(scratch);
      this.metrics.writeSeconds.observe(
        { protocol: "prometheus" },
        (performance.now() - started) / 1000,
      );
    }
  }

  private async write(
    namespace: string,
    body: Uint8Array,
    scratch: Scratch,
  ): Promise<{
    written: number;
    rejected: number;
    firstError: M3tsError | null;
    /** The first refusal that is not the sender's fault, null when all are. */
    retryError: M3tsError | null;
  }> {
    const { cols } = scratch;
    const cache = this.cache;
    if (scratch.entry.length < cols.series) {
      scratch.entry = new Int32Array(cols.series * 2);
      scratch.origin = new Int32Array(cols.series * 2);
      scratch.refs = new Float64Array(cols.series * 2);
    }
    if (scratch.series.length < cols.samples) scratch.series = new Int32Array(cols.samples * 2);
    const { entry, origin, series, refs, ids, tags } = scratch;
    const { timesMs, values } = cols;
    ids.length = 0;
    tags.length = 0;
    let rejected = 0;
    let firstError: M3tsError | null = null;
    let count = 0;
    // Read before resolving: a clear made by this request's own misses must
    // keep the refs learnt below out of entries it has since handed to others.
    const generation = cache.generation;
    for (let s = 0; s < cols.series; s++) {
      const e = cache.resolve(body, cols, s);
      const first = cols.sampleStart[s];
      const n = cols.sampleCount[s];
      if (typeof e !== "number") {
        rejected += n;
        firstError ??= e;
        this.metrics.samplesRejected.inc(
          { protocol: "prometheus", reason: "M3TS_ERR_INVALID_LABELS" },
          n,
        );
        continue;
      }
      const k = ids.length;
      entry[k] = e;
      origin[k] = s;
      refs[k] = cache.refs[e];
      ids.push(cache.ids[e]);
      tags.push(cache.tags[e]);
      // Samples of refused series are dropped by moving the rest down in place.
      for (let i = first; i < first + n; i++) {
        series[count] = k;
        timesMs[count] = timesMs[i];
        values[count] = values[i];
        count++;
      }
    }
    if (count === 0) {
      return { written: 0, rejected, firstError, retryError: null };
    }
    const batch: WriteBatch = {
      count,
      series,
      timesMs,
      values,
      seriesIds: ids,
      seriesTags: tags,
      seriesRefs: refs,
    };
    const result = await this.client.writeBatch(namespace, batch);
    if (cache.generation === generation) {
      for (let k = 0; k < ids.length; k++) cache.refs[entry[k]] = result.refs[k];
    }
    let retryError: M3tsError | null = null;
    for (const { index, error } of result.errors) {
      if (firstError === null) {
        const s = origin[series[index]];
        decodeLabels(body, cols, s);
        const first = cols.labelStart[s];
        firstError = new SeriesWriteError(
          describeSeries(body, cols, first, first + cols.labelCount[s]),
          error,
        );
      }
      if (retryError === null && !isClientError(error)) retryError = error;
    }
    if (result.errors.length > 0) {
      const byCode = new Map<string, number>();
      for (const { error } of result.errors)
        byCode.set(error.code, (byCode.get(error.code) ?? 0) + 1);
      for (const [reason, n] of byCode)
        this.metrics.samplesRejected.inc({ protocol: "prometheus", reason }, n);
    }
    if (result.written > 0)
      this.metrics.samplesWritten.inc({ protocol: "prometheus" }, result.written);
    return {
      written: result.written,
      rejected: rejected + result.errors.length,
      firstError,
      retryError,
    };
  }

  private countDropped(cols: WriteRequestColumns): void {
    if (cols.exemplars > 0) this.metrics.dropped.inc({ kind: "exemplar" }, cols.exemplars);
    if (cols.histograms > 0) this.metrics.dropped.inc({ kind: "histogram" }, cols.histograms);
    // Kept entries are not dropped; 2.0 entries without a metric name or with bad refs are.
    const metadataDropped = cols.metadata - (this.metadata === null ? 0 : cols.metaEntries);
    if (metadataDropped > 0) this.metrics.dropped.inc({ kind: "metadata" }, metadataDropped);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
