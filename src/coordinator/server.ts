// The coordinator's HTTP server (port 7201): the route table, per-route
// method checks, request counting, and a drain on shutdown that stops new
// requests and lets the ones in flight finish.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { Client } from "../client/index.js";
import type { KV } from "../cluster/index.js";
import type { MetricMetadataStore } from "../query/metadata/index.js";
import type { Logger } from "../x/index.js";
import { AdminApi } from "./admin/index.js";
import {
  MethodNotAllowedError,
  NotFoundError,
  OverloadedError,
  sendFailure,
  sendJson,
} from "./http.js";
import type { CoordinatorMetrics } from "./metrics.js";
import {
  type IngestLimits,
  type ReadQuery,
  RemoteReadHandler,
  type RemoteReadLimits,
  RemoteWriteHandler,
} from "./prom/index.js";
import { handleInfluxWrite, handleJsonWrite } from "./text/index.js";

export interface CoordinatorOptions {
  client: Client;
  kv: KV;
  registry: Registry;
  metrics: CoordinatorMetrics;
  logger: Logger;
  host: string;
  port: number;
  /** The unaggregated namespace the ingest endpoints write to and remote read reads. */
  namespace: string;
  ingest: IngestLimits;
  remoteRead: RemoteReadLimits;
  /** The node's shard count, for the local placement. */
  numShards: number;
  /** Whether the admin API serves one node's local placement (m3ts start) or a cluster's (m3ts coordinator). */
  adminMode?: "single-node" | "cluster";
  /** Keeps the metric metadata remote write carries (for /api/v1/metadata); without it, it is dropped. */
  metadata?: MetricMetadataStore;
  /** True once the node serves reads and writes (bootstrapped, namespaces applied). */
  isReady?: () => boolean;
  now?: () => number;
  /**
   * Routes mounted after the coordinator's own (the query API): each answers
   * its requests itself; what one throws is answered with M3's error body.
   */
  routes?: readonly CoordinatorRoute[];
  /** M3's GET remote read: the read queries of a request's PromQL `query` (from the query API). */
  promqlReadQueries?: (req: IncomingMessage) => Promise<ReadQuery[]>;
}

type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: string[],
) => Promise<void> | void;

/** One route of the table: a name for the request metrics, the path, a handler per method. */
export interface CoordinatorRoute {
  path: RegExp;
  methods: Record<string, Handler>;
  name: string;
}

type Route = CoordinatorRoute;

export class Coordinator {
  readonly remoteWrite: RemoteWriteHandler;
  private readonly server: Server;
  private readonly routes: Route[];
  private readonly options: CoordinatorOptions;
  private readonly startedMs: number;
  private closing = false;

  private constructor(options: CoordinatorOptions) {
    this.options = options;
    const now = options.now ?? Date.now;
    this.startedMs = now();
    const { client, metrics, logger } = options;
    this.remoteWrite = new RemoteWriteHandler({
      client,
      namespace: options.namespace,
      limits: options.ingest,
      metrics,
      logger,
      ...(options.metadata !== undefined && { metadata: options.metadata }),
    });
    const read = new RemoteReadHandler({
      client,
      namespace: options.namespace,
      limits: options.remoteRead,
      maxBodyBytes: options.ingest.maxBodyBytes,
      metrics,
    });
    const admin = new AdminApi(
      options.adminMode === "cluster"
        ? { kv: options.kv, mode: "cluster" }
        : { kv: options.kv, numShards: options.numShards, port: options.port },
    );
    const textDeps = {
      client,
      namespace: options.namespace,
      metrics,
      maxBodyBytes: options.ingest.maxBodyBytes,
      now,
    };
    const write = (req: IncomingMessage, res: ServerResponse) => this.remoteWrite.handle(req, res);
    const readH = (req: IncomingMessage, res: ServerResponse) => read.handle(req, res);
    const promqlReadQueries = options.promqlReadQueries ?? (async () => []);
    this.routes = [
      route("remote_write", /^\/api\/v1\/(?:prom\/remote\/write|write)$/, { POST: write }),
      route("remote_read", /^\/api\/v1\/(?:prom\/remote\/read|read)$/, {
        POST: readH,
        ...(options.promqlReadQueries !== undefined && {
          GET: async (req: IncomingMessage, res: ServerResponse) =>
            read.answerQueries(res, await promqlReadQueries(req), req),
        }),
      }),
      route("influxdb_write", /^\/api\/v1\/influxdb\/write$/, {
        POST: (req, res) => handleInfluxWrite(req, res, textDeps),
      }),
      route("json_write", /^\/api\/v1\/json\/write$/, {
        POST: (req, res) => handleJsonWrite(req, res, textDeps),
      }),
      route("database_create", /^\/api\/v1\/database(?:\/namespace)?\/create$/, {
        POST: (req, res) => admin.databaseCreate(req, res),
      }),
      route("namespace", /^\/api\/v1\/services\/m3db\/namespace$/, {
        GET: (req, res) => admin.namespaceGet(req, res),
        POST: (req, res) => admin.namespaceAdd(req, res),
      }),
      route("namespace_delete", /^\/api\/v1\/services\/m3db\/namespace\/([^/]+)$/, {
        DELETE: (req, res, [name]) => admin.namespaceDelete(req, res, decodeURIComponent(name)),
      }),
      route("placement", /^\/api\/v1\/services\/m3db\/placement$/, {
        GET: (req, res) => admin.placementGet(req, res),
      }),
      route("placement_init", /^\/api\/v1\/services\/m3db\/placement\/init$/, {
        POST: (req, res) => admin.placementInit(req, res),
      }),
      route("health", /^\/health$/, {
        GET: (_req, res) =>
          sendJson(res, 200, {
            uptime: `${((now() - this.startedMs) / 1000).toFixed(3)}s`,
            now: new Date(now()).toISOString(),
          }),
      }),
      route("ready", /^\/ready$/, { GET: (_req, res) => this.ready(res) }),
      route("metrics", /^\/metrics$/, {
        GET: async (_req, res) => {
          const text = await options.registry.metrics();
          res.writeHead(200, { "Content-Type": options.registry.contentType });
          res.end(text);
        },
      }),
      route("routes", /^\/routes$/, {
        GET: (_req, res) => sendJson(res, 200, { routes: this.routes.map((r) => r.path.source) }),
      }),
      ...(options.routes ?? []),
    ];
    this.server = createServer((req, res) => this.dispatch(req, res));
    this.server.keepAliveTimeout = 30_000;
  }

  /** Starts listening; resolves once the port is bound. */
  static async start(options: CoordinatorOptions): Promise<Coordinator> {
    const c = new Coordinator(options);
    await new Promise<void>((resolve, reject) => {
      c.server.once("error", reject);
      c.server.listen(options.port, options.host, () => {
        c.server.off("error", reject);
        resolve();
      });
    });
    return c;
  }

  get address(): { host: string; port: number } {
    const a = this.server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  /** Stops taking requests and resolves when the ones in flight have been answered. */
  async close(): Promise<void> {
    this.closing = true;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  private ready(res: ServerResponse): void {
    const state = this.options.client.state();
    const namespaces = this.options.client.namespaces().map((ns) => ({
      id: ns.name,
      attributes: {
        metricsType: "unaggregated",
        retention: `${ns.options.retentionPeriodMs / 1000}s`,
      },
    }));
    const ok = state === "bootstrapped" && (this.options.isReady?.() ?? true);
    const body = ok
      ? { readyReads: namespaces, readyWrites: namespaces }
      : {
          notReadyReads: namespaces,
          notReadyWrites: namespaces,
          state,
          reason: this.options.client.failureReason(),
        };
    sendJson(res, ok ? 200 : 503, body);
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    let name = "not_found";
    try {
      if (this.closing) {
        res.setHeader("Connection", "close");
        req.resume();
        throw new OverloadedError(503, "the coordinator is shutting down");
      }
      for (const r of this.routes) {
        const m = r.path.exec(path);
        if (m === null) continue;
        name = r.name;
        const handler = r.methods[req.method ?? "GET"];
        if (handler === undefined) {
          req.resume();
          throw new MethodNotAllowedError(String(req.method), path, Object.keys(r.methods));
        }
        await handler(req, res, m.slice(1));
        return;
      }
      req.resume();
      throw new NotFoundError(`no route for ${req.method} ${path}`);
    } catch (e) {
      sendFailure(res, e, this.options.logger, { path });
    } finally {
      this.options.metrics.requests.inc({ handler: name, code: String(res.statusCode) });
    }
  }
}

function route(name: string, path: RegExp, methods: Record<string, Handler>): Route {
  return { name, path, methods };
}
