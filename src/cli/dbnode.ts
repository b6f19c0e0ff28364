// `m3ts dbnode`: one storage node of a cluster. Its identity is
// dbnode.hostID; its shards and their count come from the placement in
// etcd, its namespaces from the registry there. It waits for a placement
// that holds it, opens its data directory with the placement's shard count,
// serves the node RPC, and once bootstrapped marks its Initializing shards
// Available by check-and-set, as an M3 dbnode does.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { pino } from "pino";
import { collectDefaultMetrics, Registry } from "prom-client";
import { InProcessClient } from "../client/index.js";
import { type KV, markShardsAvailable, PLACEMENT_KEY, type Placement } from "../cluster/index.js";
import { type NodeServer, startNodeServer } from "../dbnode/server/index.js";
import { Database } from "../dbnode/storage/index.js";
import { clientQuerier, evaluatePartial } from "../query/engine/index.js";
import type { Logger } from "../x/index.js";
import { openClusterKVWhenReachable, rpcServerTls } from "./cluster-kv.js";
import type { COMMANDS, FlagValues } from "./commands.js";
import { loadConfig, type M3tsConfig } from "./config.js";
import { ConfigError } from "./config-error.js";
import { NamespaceSync } from "./namespace-sync.js";
import { runUntilSignal } from "./signals.js";
import { databaseOptions } from "./start.js";

export interface RunningDbnode {
  config: M3tsConfig;
  hostId: string;
  /** The database, once the placement holding this node was found (null before). */
  db(): Database | null;
  /** Where the node RPC and the HTTP endpoints listen. */
  rpcPort(): number;
  httpPort: number;
  /** Resolves once bootstrapped, namespaces applied, and this node's new shards marked Available. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** Starts a dbnode from its configuration over a cluster KV (etcd, or a test's). */
export async function startDbnode(
  config: M3tsConfig,
  logger: Logger,
  kv: KV,
): Promise<RunningDbnode> {
  const hostId = config.dbnode.hostID;
  if (hostId === null || hostId === "") {
    throw new ConfigError("dbnode.hostID", hostId, "this node's instance ID in the placement");
  }
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "m3ts_process_" });
  let db: Database | null = null;
  let server: NodeServer | null = null;
  let placement: Placement | null = null;
  let isReady = false;
  let stopped = false;
  let owned = new Set<number>();

  const http = await startNodeHttp(config, registry, () => ({
    bootstrapped: db?.bootstrapProgress.state === "bootstrapped",
    ready: isReady,
    placement: placement !== null,
  }));

  // The placement this node is in, kept as it changes.
  let placementKnown: (p: Placement) => void = () => {};
  const found = new Promise<Placement>((resolveFound) => {
    placementKnown = resolveFound;
  });
  const onPlacement = (value: unknown) => {
    const p = value as Placement | null;
    if (p === null || p.instances[hostId] === undefined) return;
    placement = p;
    owned = new Set(p.instances[hostId].shards.map((s) => s.id));
    placementKnown(p);
    if (isReady) void markAvailable();
  };
  const unwatchPlacement = kv.watch(PLACEMENT_KEY, (v) => onPlacement(v?.value ?? null));
  const current = await kv.get(PLACEMENT_KEY);
  onPlacement(current?.value ?? null);
  if (placement === null) {
    logger.info({ hostId }, "waiting for a placement that holds this node");
  }

  let marking: Promise<void> = Promise.resolve();
  const markAvailable = () => {
    marking = marking
      .then(async () => {
        const p = placement;
        if (stopped || p === null) return;
        const initializing = p.instances[hostId].shards.some(
          (s) => s.state === "INITIALIZING" && s.sourceId === "",
        );
        if (!initializing) return;
        await markShardsAvailable(kv, PLACEMENT_KEY, hostId);
        logger.info({ hostId }, "shards bootstrapped: marked Available");
      })
      .catch((e) => logger.error({ err: e as Error }, "marking shards Available failed"));
    return marking;
  };

  let sync: NamespaceSync | null = null;
  const ready = (async () => {
    const p = await found;
    if (stopped) return;
    db = await Database.open(databaseOptions(config, p.numShards, logger, registry));
    const theDb = db;
    const rpc = config.dbnode.listenAddress;
    server = await startNodeServer({
      db: theDb,
      host: rpc.host,
      port: rpc.port,
      ...rpcServerTls(config),
      ownsShard: (shard: number) => owned.has(shard),
      // A pushed-down aggregation reads only the series of the shards it names.
      evaluateAggregate: (req, deadlineMs) =>
        evaluatePartial(
          clientQuerier(new InProcessClient(theDb, { shards: new Set(req.shards) }), req.namespace),
          { ...req, deadlineMs },
        ),
    });
    await theDb.bootstrapped;
    sync = new NamespaceSync(theDb, kv, logger, { seed: false });
    await sync.start([]);
    isReady = true;
    await markAvailable();
  })();
  ready.catch((e) => logger.error({ err: e as Error }, "the dbnode failed to start"));

  const stop = async () => {
    stopped = true;
    placementKnown = () => {};
    unwatchPlacement();
    sync?.stop();
    await server?.close();
    await new Promise<void>((r) => {
      http.server.close(() => r());
      http.server.closeIdleConnections();
    });
    await marking;
    await ready.catch(() => {});
    await db?.close();
    await kv.close();
  };
  return {
    config,
    hostId,
    db: () => db,
    rpcPort: () => server?.port ?? 0,
    httpPort: http.port,
    ready,
    stop,
  };
}

/** The node's own HTTP endpoints: /health (alive), /ready (bootstrapped and serving), /metrics. */
async function startNodeHttp(
  config: M3tsConfig,
  registry: Registry,
  status: () => { bootstrapped: boolean; ready: boolean; placement: boolean },
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { "Content-Type": "application/json" });
      res.end(`${JSON.stringify(body)}\n`);
    };
    if (path === "/health") {
      const s = status();
      send(200, { ok: true, status: "up", bootstrapped: s.bootstrapped });
    } else if (path === "/ready") {
      const s = status();
      send(s.ready ? 200 : 503, s);
    } else if (path === "/metrics") {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { "Content-Type": registry.contentType });
          res.end(text);
        },
        (e) => send(500, { error: String(e) }),
      );
    } else {
      send(404, { error: `no route for ${req.method} ${path}` });
    }
  });
  const { host, port } = config.dbnode.httpListenAddress;
  await new Promise<void>((r, j) => {
    server.once("error", j);
    server.listen(port, host, () => r());
  });
  return { server, port: (server.address() as AddressInfo).port };
}

/** Runs `m3ts dbnode` until a signal; returns the exit code. */
export async function dbnode(
  flags: FlagValues<(typeof COMMANDS)["dbnode"]>,
  out: (line: string) => void,
): Promise<number> {
  let config: M3tsConfig;
  try {
    config = loadConfig({
      file: flags["--config"],
      env: process.env,
      dataDir: flags["--data-dir"],
    });
    if (config.dbnode.hostID === null) {
      throw new ConfigError("dbnode.hostID", null, "this node's instance ID in the placement");
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      out(`m3ts dbnode: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const logger = pino({ level: config.logging.level, base: undefined });
  const kv = await openClusterKVWhenReachable(config, logger);
  const node = await startDbnode(config, logger, kv);
  out(
    `m3ts dbnode ${node.hostId}: http on port ${node.httpPort}; node RPC on ${config.dbnode.listenAddress.host}:${config.dbnode.listenAddress.port} once the placement holds this node; data in ${resolve(config.dataDir)}`,
  );
  node.ready.then(
    () => logger.info({ hostId: node.hostId }, "ready: bootstrapped, serving its shards"),
    () => {},
  );
  return runUntilSignal(() => node.stop(), logger);
}
