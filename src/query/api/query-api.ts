// The Prometheus HTTP query API as routes the coordinator's server mounts
// (port 7201): every endpoint under /api/v1, and the same under M3's
// engine-choosing prefixes /prometheus/api/v1 and /m3query/api/v1, which
// one engine answers (the response's M3-Engine header names the prefix's
// engine, as M3 echoes it).

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Client } from "../../client/index.js";
import { type Logger, silentLogger } from "../../x/index.js";
import type { QueryEngine } from "../engine-types.js";
import { QueryError } from "../errors.js";
import type { MetricMetadataStore } from "../metadata/index.js";
import { type Form, readForm } from "./form.js";
import { MAX_REQUEST_TIMEOUT_MS, requestLimits } from "./m3-headers.js";
import { metadataResponse } from "./metadata.js";
import { invalidParam, MAX_TIME_MS, MIN_TIME_MS, ParamError, parseTimeParam } from "./params.js";
import type { PromQLText } from "./promql-text.js";
import { handleQuery, type QueryDefaults, type QueryEndpointDeps } from "./query-endpoints.js";
import { QueryGate } from "./query-gate.js";
import type { QueryLogSink } from "./query-log.js";
import { type PromQLReadQuery, promqlReadQueries } from "./read-queries.js";
import { sendError, sendJson, sendSuccess, sendSuccessRaw } from "./respond.js";
import {
  type Listing,
  listLabelNames,
  listLabelValues,
  listSeries,
  type SeriesLabelsDeps,
} from "./series-labels.js";

/**
 * The Prometheus version whose API and PromQL semantics m3ts follows
 * (the conformance scripts come from it); Grafana turns features on by it.
 */
export const PROMETHEUS_VERSION = "3.14.0";

/** A route handler as the coordinator's server calls it: the path's captures in `params`. */
export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: (string | undefined)[],
) => Promise<void> | void;

/** One route: a name for metrics, the path, and a handler per method. */
export interface ApiRoute {
  name: string;
  path: RegExp;
  methods: Record<string, RouteHandler>;
}

/** The `query:` configuration, resolved. */
export interface QueryApiLimits {
  lookbackMs: number;
  timeoutMs: number;
  maxSeries: number;
  requireExhaustive: boolean;
  maxSamples: number;
  maxConcurrent: number;
  maxQueued: number;
}

export interface QueryApiOptions {
  /** Answers every query; a request's M3-Limit-Max-Series and M3-Limit-Require-Exhaustive reach it in the query options. */
  engine: QueryEngine;
  /** For series, labels and label values, read from the index. */
  client: Client;
  /** The namespace those read (the coordinator's unaggregated namespace). */
  namespace: string;
  promql: PromQLText;
  limits: QueryApiLimits;
  /** m3ts's own version, reported beside the Prometheus version by buildinfo. */
  version: string;
  /** Bound of a form-encoded POST body (default 1 MiB). */
  maxFormBytes?: number;
  queryLog?: QueryLogSink | null;
  /** The metric metadata remote write carries, for /api/v1/metadata; absent, it answers an empty map. */
  metadata?: MetricMetadataStore;
  logger?: Logger;
  now?: () => number;
}

const PREFIX = "^(/prometheus|/m3query)?/api/v1";

export class QueryApi {
  readonly gate: QueryGate;
  private readonly options: QueryApiOptions;
  private readonly logger: Logger;
  private readonly maxFormBytes: number;
  private readonly queryDeps: QueryEndpointDeps;
  private readonly listDeps: SeriesLabelsDeps;

  constructor(options: QueryApiOptions) {
    const l = options.limits;
    if (!(l.timeoutMs > 0 && l.timeoutMs <= MAX_REQUEST_TIMEOUT_MS)) {
      throw new RangeError(`query timeout ${l.timeoutMs} ms must be > 0 and at most 10m`);
    }
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    this.maxFormBytes = options.maxFormBytes ?? 1024 * 1024;
    this.gate = new QueryGate(l.maxConcurrent, l.maxQueued);
    const defaults: QueryDefaults = {
      lookbackMs: l.lookbackMs,
      timeoutMs: l.timeoutMs,
      maxSeries: l.maxSeries,
      requireExhaustive: l.requireExhaustive,
      maxSamples: l.maxSamples,
    };
    this.queryDeps = {
      engine: options.engine,
      gate: this.gate,
      defaults,
      queryLog: options.queryLog ?? null,
      now: options.now ?? Date.now,
      logger: this.logger,
    };
    this.listDeps = {
      client: options.client,
      namespace: options.namespace,
      promql: options.promql,
    };
  }

  /** The routes to mount on the coordinator's server. */
  routes(): ApiRoute[] {
    const getPost = (h: FormHandler) => {
      const w = this.wrap(h);
      return { GET: w, POST: w };
    };
    const get = (h: FormHandler) => ({ GET: this.wrap(h) });
    const r = (name: string, path: string, methods: Record<string, RouteHandler>): ApiRoute => ({
      name: `query_api_${name}`,
      path: new RegExp(`${PREFIX}${path}$`),
      methods,
    });
    const metadata = this.options.metadata;
    return [
      r(
        "query",
        "/query",
        getPost((req, res, form) => handleQuery(req, res, form, false, this.queryDeps)),
      ),
      r(
        "query_range",
        "/query_range",
        getPost((req, res, form) => handleQuery(req, res, form, true, this.queryDeps)),
      ),
      r(
        "series",
        "/series",
        getPost(async (req, res, form) => {
          const { maxSeries, requireExhaustive } = requestLimits(
            req,
            null,
            this.queryDeps.defaults,
          );
          await this.list(res, listSeries(this.listDeps, form, { maxSeries, requireExhaustive }));
        }),
      ),
      r(
        "labels",
        "/labels",
        getPost(async (_req, res, form) => this.list(res, listLabelNames(this.listDeps, form))),
      ),
      r(
        "label_values",
        "/label/([^/]+)/values",
        get(async (_req, res, form, name) =>
          this.list(res, listLabelValues(this.listDeps, form, name ?? "")),
        ),
      ),
      r(
        "buildinfo",
        "/status/buildinfo",
        get((_req, res) => this.buildInfo(res)),
      ),
      r(
        "format_query",
        "/format_query",
        getPost((_req, res, form) => this.formatQuery(res, form)),
      ),
      r(
        "parse_query",
        "/parse_query",
        getPost((_req, res, form) => this.parseQuery(res, form)),
      ),
      r(
        "query_exemplars",
        "/query_exemplars",
        getPost((_req, res, form) => this.exemplars(res, form)),
      ),
      r(
        "rules",
        "/rules",
        get((_req, res, form) => this.rules(res, form)),
      ),
      r(
        "alerts",
        "/alerts",
        get((_req, res) => sendSuccess(res, { alerts: [] })),
      ),
      r(
        "metadata",
        "/metadata",
        get((_req, res, form) => {
          if (metadata === undefined) return sendSuccess(res, {});
          const params = new URLSearchParams();
          for (const name of ["limit", "limit_per_metric", "metric"]) {
            const v = form.get(name);
            if (v !== null) params.set(name, v);
          }
          const answer = metadataResponse(metadata, params);
          sendJson(res, answer.status, answer.body);
        }),
      ),
    ];
  }

  /** Reads the form, sets M3-Engine, runs `h`, and answers any failure in Prometheus's envelope. */
  private wrap(h: FormHandler): RouteHandler {
    return async (req, res, params) => {
      try {
        setEngineHeader(res, params[0]);
        const form = await readForm(req, this.maxFormBytes);
        if (params[0] === undefined) chooseEngine(req, res, form);
        await h(req, res, form, params[1]);
      } catch (e) {
        sendError(res, e, this.logger);
      }
    };
  }

  /** The remote read queries of M3's GET remote read (`?query=<PromQL>&start=&end=`). */
  remoteReadQueries(req: IncomingMessage): Promise<PromQLReadQuery[]> {
    return promqlReadQueries(
      req,
      this.options.promql,
      this.options.limits.lookbackMs,
      this.queryDeps.now(),
    );
  }

  private async list(res: ServerResponse, listing: Promise<Listing>): Promise<void> {
    const { dataJson, warnings, limited } = await listing;
    if (limited !== undefined && limited.length > 0) {
      res.setHeader("M3-Results-Limited", limited.join(","));
    }
    sendSuccessRaw(res, dataJson, warnings);
  }

  private buildInfo(res: ServerResponse): void {
    // Prometheus's PrometheusVersion fields; m3ts adds its own version.
    sendSuccess(res, {
      version: PROMETHEUS_VERSION,
      revision: "",
      branch: "",
      buildUser: "m3ts",
      buildDate: "",
      goVersion: "",
      m3tsVersion: this.options.version,
    });
  }

  private parsed(form: Form) {
    try {
      return this.options.promql.parse(form.get("query") ?? "");
    } catch (e) {
      throw invalidParam("query", (e as Error).message);
    }
  }

  private formatQuery(res: ServerResponse, form: Form): void {
    const { format } = this.options.promql;
    const expr = this.parsed(form);
    if (format === undefined) throw notYet("format_query");
    sendSuccess(res, format(expr));
  }

  private parseQuery(res: ServerResponse, form: Form): void {
    const { toJSON } = this.options.promql;
    const expr = this.parsed(form);
    if (toJSON === undefined) throw notYet("parse_query");
    sendSuccess(res, toJSON(expr));
  }

  /** No exemplars are stored: after Prometheus's checks, the answer is empty. */
  private exemplars(res: ServerResponse, form: Form): void {
    const startMs = parseTimeParam("start", form.get("start"), MIN_TIME_MS);
    const endMs = parseTimeParam("end", form.get("end"), MAX_TIME_MS);
    if (endMs < startMs) {
      throw new ParamError("end timestamp must not be before start timestamp");
    }
    try {
      this.options.promql.parse(form.get("query") ?? "");
    } catch (e) {
      throw new ParamError((e as Error).message);
    }
    sendSuccess(res, []);
  }

  /** No rules are evaluated: the answer is an empty list of groups, after Prometheus's `type` check. */
  private rules(res: ServerResponse, form: Form): void {
    const type = form.get("type") ?? "";
    if (type !== "" && type !== "alert" && type !== "record") {
      throw invalidParam("type", `not supported value ${JSON.stringify(type)}`);
    }
    sendSuccess(res, { groups: [] });
  }
}

type FormHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  form: Form,
  param: string | undefined,
) => Promise<void> | void;

function notYet(endpoint: string): QueryError {
  return new QueryError(
    "unavailable",
    503,
    `${endpoint} is not available: the parser given to the query API cannot print a query tree`,
  );
}

const ENGINES = ["prometheus", "m3query"];

/**
 * On the plain /api/v1 path M3 lets the `engine` parameter (first) or the
 * `M3-Engine` header pick the engine; one engine answers either way, and the
 * name chosen is echoed back.
 */
function chooseEngine(req: IncomingMessage, res: ServerResponse, form: Form): void {
  const header = req.headers["m3-engine"];
  const chosen = form.get("engine") ?? (Array.isArray(header) ? header[0] : header) ?? "";
  if (chosen === "") return;
  if (!ENGINES.includes(chosen)) {
    throw invalidParam(
      "engine",
      `${JSON.stringify(chosen)} is not an engine; use prometheus or m3query`,
    );
  }
  res.setHeader("M3-Engine", chosen);
}

function setEngineHeader(res: ServerResponse, prefix: string | undefined): void {
  res.setHeader("M3-Engine", prefix === "/m3query" ? "m3query" : "prometheus");
}
