// The coordinator's side of a process, as `m3ts start` and `m3ts
// coordinator` both run it: the query engine and API, the HTTP server with
// the ingest, remote read and admin routes, the metric metadata kept in a
// directory, and the carbon listener, all over one Client and one KV. Which
// client (the in-process one, or the cluster's) is the caller's choice.
import { resolve } from "node:path";
import type { Registry } from "prom-client";
import type { Client } from "../client/index.js";
import type { KV } from "../cluster/index.js";
import { CarbonServer, Coordinator, CoordinatorMetrics } from "../coordinator/index.js";
import { QueryApi, QueryLogFile } from "../query/api/index.js";
import { clientQuerier, createEngine, pushdownTarget } from "../query/engine/index.js";
import { MetadataPersistence, registerMetadataMetrics } from "../query/metadata/index.js";
import { exprToJSON, parsePromQL, prettyExpr } from "../query/parser/index.js";
import type { Logger } from "../x/index.js";
import type { M3tsConfig } from "./config.js";
import { version } from "./index.js";

export interface CoordinatorStack {
  coordinator: Coordinator;
  carbon: CarbonServer | null;
  /** Stops taking requests, lets those in flight finish, saves the metadata. */
  close(): Promise<void>;
}

export async function startCoordinatorStack(o: {
  config: M3tsConfig;
  client: Client;
  kv: KV;
  registry: Registry;
  logger: Logger;
  /** Where the metric metadata remote write carries is kept across restarts. */
  metadataDir: string;
  isReady: () => boolean;
  /** A cluster's coordinator (cluster placements in the admin API), or a single node's. */
  cluster?: boolean;
}): Promise<CoordinatorStack> {
  const { config, client, kv, registry, logger } = o;
  const metadata = await MetadataPersistence.open({ dir: o.metadataDir, logger });
  registerMetadataMetrics(registry, metadata.store);
  const metrics = new CoordinatorMetrics(registry);
  const c = config.coordinator;
  const q = config.query;
  // The query API reads the namespace the ingest endpoints write; one engine
  // serves every request, each request's series limits in its query options.
  // A cluster client can evaluate aggregations at the nodes (docs/cluster.md).
  const pushdown =
    o.cluster === true
      ? pushdownTarget(client, c.writeNamespace, config.cluster.readConsistency)
      : undefined;
  const engine = createEngine({
    querier: clientQuerier(client, c.writeNamespace),
    ...(pushdown !== undefined && { pushdown }),
    lookbackMs: q.lookbackDeltaMs,
    timeoutMs: q.timeoutMs,
    maxSamples: q.maxSamples,
    maxSeries: q.maxSeries,
    requireExhaustive: q.requireExhaustive,
  });
  const queryLog = q.logFile === null ? null : new QueryLogFile(resolve(q.logFile));
  const queryApi = new QueryApi({
    engine,
    client,
    namespace: c.writeNamespace,
    promql: { parse: parsePromQL, format: (e) => prettyExpr(e), toJSON: exprToJSON },
    limits: {
      lookbackMs: q.lookbackDeltaMs,
      timeoutMs: q.timeoutMs,
      maxSeries: q.maxSeries,
      requireExhaustive: q.requireExhaustive,
      maxSamples: q.maxSamples,
      maxConcurrent: q.maxConcurrent,
      maxQueued: q.maxQueued,
    },
    version: version(),
    queryLog,
    metadata: metadata.store,
    logger,
  });
  const coordinator = await Coordinator.start({
    client,
    kv,
    registry,
    metrics,
    logger,
    host: c.listenAddress.host,
    port: c.listenAddress.port,
    namespace: c.writeNamespace,
    ingest: {
      maxBodyBytes: c.maxBodyBytes,
      maxInflightWriteRequests: c.maxInflightWriteRequests,
      maxPendingWriteSamples: c.maxPendingWriteSamples,
      maxSeriesCacheBytes: c.maxSeriesCacheBytes,
    },
    remoteRead: c.remoteRead,
    metadata: metadata.store,
    numShards: config.db.numShards,
    adminMode: o.cluster === true ? "cluster" : "single-node",
    isReady: o.isReady,
    routes: queryApi.routes(),
    promqlReadQueries: (req) => queryApi.remoteReadQueries(req),
  });
  let carbon: CarbonServer | null = null;
  if (config.carbon.enabled) {
    carbon = await CarbonServer.start({
      client,
      namespace: c.writeNamespace,
      metrics,
      logger,
      host: config.carbon.listenAddress.host,
      port: config.carbon.listenAddress.port,
      maxLineBytes: config.carbon.maxLineBytes,
    });
  }
  const close = async () => {
    await coordinator.close();
    await queryLog?.close();
    // A cache senders fill again: failing to save it must not keep the process from stopping.
    await metadata
      .close()
      .catch((e) => logger.error({ err: e as Error }, "saving the metric metadata failed"));
    await carbon?.close();
  };
  return { coordinator, carbon, close };
}
