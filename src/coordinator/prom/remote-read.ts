// Prometheus remote read at /api/v1/prom/remote/read and /api/v1/read:
// matchers → index → datapoints, answered as SAMPLES (a snappy ReadResponse)
// or, when the sender accepts it, STREAMED_XOR_CHUNKS (Prometheus's XOR
// chunks in CRC-checked frames, written as each series is read).
import type { IncomingMessage, ServerResponse } from "node:http";
import { compressSync } from "snappy";
import {
  type Client,
  EQUAL_TIMESTAMP_STRATEGIES,
  type FetchedSeries,
  type FetchLimits,
  READ_CONSISTENCY_LEVELS,
} from "../../client/index.js";
import { type Matcher, newMatcher } from "../../index/index.js";
import { BadRequestError, readBody } from "../http.js";
import type { CoordinatorMetrics } from "../metrics.js";
import { unsnappy } from "../wire/index.js";
import { ChunkedReadResponseWriter } from "./chunked-read-response.js";
import { decodeReadRequest, RESPONSE_TYPE, type ReadQuery } from "./read-request.js";
import { ReadResponseWriter } from "./read-response.js";

export interface RemoteReadLimits extends FetchLimits {
  /** Largest frame of a streamed response. */
  maxBytesInFrame: number;
}

export class RemoteReadHandler {
  private readonly client: Client;
  private readonly namespace: string;
  private readonly limits: RemoteReadLimits;
  private readonly maxBodyBytes: number;
  private readonly metrics: CoordinatorMetrics;

  constructor(deps: {
    client: Client;
    namespace: string;
    limits: RemoteReadLimits;
    maxBodyBytes: number;
    metrics: CoordinatorMetrics;
  }) {
    this.client = deps.client;
    this.namespace = deps.namespace;
    this.limits = deps.limits;
    this.maxBodyBytes = deps.maxBodyBytes;
    this.metrics = deps.metrics;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const request = decodeReadRequest(
      unsnappy(await readBody(req, this.maxBodyBytes), this.maxBodyBytes),
    );
    const queries = request.queries.map((q) => ({ q, matchers: toMatchers(q) }));
    const limits = readLimits(req, this.limits);
    const streamed =
      responseTypeOf(request.acceptedResponseTypes) === RESPONSE_TYPE.STREAMED_XOR_CHUNKS;
    const type = streamed ? "streamed_xor_chunks" : "samples";
    try {
      if (streamed) await this.streamChunks(res, queries, limits);
      else await this.samples(res, queries, limits);
    } finally {
      this.metrics.readSeconds.observe(
        { response_type: type },
        (performance.now() - started) / 1000,
      );
    }
  }

  /** Answers already-decoded queries as SAMPLES (M3's GET remote read with a PromQL query). */
  async answerQueries(
    res: ServerResponse,
    queries: readonly ReadQuery[],
    req?: IncomingMessage,
  ): Promise<void> {
    await this.samples(
      res,
      queries.map((q) => ({ q, matchers: toMatchers(q) })),
      req === undefined ? this.limits : readLimits(req, this.limits),
    );
  }

  private async samples(
    res: ServerResponse,
    queries: { q: ReadQuery; matchers: Matcher[] }[],
    limits: RemoteReadLimits,
  ) {
    const writer = new ReadResponseWriter();
    for (const { q, matchers } of queries) {
      const series = await this.client.fetchTagged(
        this.namespace,
        matchers,
        q.startMs,
        q.endMs,
        limits,
      );
      writer.beginResult();
      for (const s of sortByLabels(series))
        writer.addSeries(labelsOf(s.tags), s.timesMs, s.values, s.count);
      writer.endResult();
    }
    const body = compressSync(writer.finish());
    res.writeHead(200, {
      "Content-Type": "application/x-protobuf",
      "Content-Encoding": "snappy",
      "Content-Length": body.length,
    });
    res.end(body);
  }

  private async streamChunks(
    res: ServerResponse,
    queries: { q: ReadQuery; matchers: Matcher[] }[],
    limits: RemoteReadLimits,
  ) {
    // Every query is read before the first frame goes out, so that a limit or
    // a read error is still an HTTP error status rather than a cut stream.
    const results = [];
    for (const { q, matchers } of queries) {
      results.push(
        sortByLabels(
          await this.client.fetchTagged(this.namespace, matchers, q.startMs, q.endMs, limits),
        ),
      );
    }
    for (const r of results) checkOrdered(r);
    res.writeHead(200, {
      "Content-Type": "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse",
    });
    const writer = new ChunkedReadResponseWriter((frame) => res.write(frame), {
      maxBytesInFrame: this.limits.maxBytesInFrame,
    });
    for (let qi = 0; qi < results.length; qi++) {
      for (const s of results[qi])
        writer.writeSeries(qi, labelsOf(s.tags), s.timesMs, s.values, s.count);
    }
    res.end();
  }
}

/** A request header's value if it is one of `allowed`; a 400 naming the header, value and list otherwise. */
function headerOneOf<T extends string>(
  req: IncomingMessage,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const v = req.headers[name.toLowerCase()];
  const text = Array.isArray(v) ? v[0] : v;
  if (text === undefined) return undefined;
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw new BadRequestError(
    `invalid header ${JSON.stringify(name)}: ${JSON.stringify(text)} is not one of ${allowed.join(", ")}`,
  );
}

/** The handler's limits with M3's read headers (M3-Read-Consistency-Level, M3-Iterate-Equal-Timestamp-Strategy) applied. */
function readLimits(req: IncomingMessage, base: RemoteReadLimits): RemoteReadLimits {
  const level = headerOneOf(req, "M3-Read-Consistency-Level", READ_CONSISTENCY_LEVELS);
  const strategy = headerOneOf(
    req,
    "M3-Iterate-Equal-Timestamp-Strategy",
    EQUAL_TIMESTAMP_STRATEGIES,
  );
  if (level === undefined && strategy === undefined) return base;
  return {
    ...base,
    ...(level === undefined ? {} : { readConsistency: level }),
    ...(strategy === undefined ? {} : { equalTimestampStrategy: strategy }),
  };
}

/**
 * The answer's type, as remote.proto says: the first of the accepted types
 * this server supports; SAMPLES when the list is empty (senders older than
 * streaming); a 400 when none is supported.
 */
function responseTypeOf(accepted: readonly number[]): number {
  if (accepted.length === 0) return RESPONSE_TYPE.SAMPLES;
  for (const t of accepted) {
    if (t === RESPONSE_TYPE.SAMPLES || t === RESPONSE_TYPE.STREAMED_XOR_CHUNKS) return t;
  }
  throw new BadRequestError(
    `accepted_response_types ${JSON.stringify(accepted)} names none this server answers: SAMPLES (0) or STREAMED_XOR_CHUNKS (1)`,
  );
}

/** XOR chunks need strictly increasing times; checked before the 200 goes out, so a fault is still an error status. */
function checkOrdered(series: readonly FetchedSeries[]): void {
  for (const s of series) {
    for (let i = 1; i < s.count; i++) {
      if (!(s.timesMs[i] > s.timesMs[i - 1])) {
        throw new Error(`series ${s.id} read back with times out of order at ${s.timesMs[i]} ms`);
      }
    }
  }
}

function toMatchers(q: ReadQuery): Matcher[] {
  return q.matchers.map((m) => newMatcher(m.type, m.name, m.value));
}

function labelsOf(tags: readonly (readonly [string, string])[]): [string, string][] {
  return tags as [string, string][];
}

/** Prometheus answers series sorted by their label sets; so do we. */
function sortByLabels<T extends { tags: readonly (readonly [string, string])[] }>(
  series: T[],
): T[] {
  return series.sort((a, b) => {
    const n = Math.min(a.tags.length, b.tags.length);
    for (let i = 0; i < n; i++) {
      const [an, av] = a.tags[i];
      const [bn, bv] = b.tags[i];
      if (an !== bn) return an < bn ? -1 : 1;
      if (av !== bv) return av < bv ? -1 : 1;
    }
    return a.tags.length - b.tags.length;
  });
}
