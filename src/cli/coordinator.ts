// `m3ts coordinator`: the cluster's coordinator. The same HTTP API as `m3ts
// start` (ingest, remote read, the query API, admin), without local
// storage: the cluster client writes to and reads from the dbnodes the
// placement in etcd names, over gRPC, at the configured consistency levels.
import { resolve } from "node:path";
import { pino } from "pino";
import { Counter, collectDefaultMetrics, Registry } from "prom-client";
import { ClusterClient, GrpcNodeTransport } from "../client/index.js";
import type { KV } from "../cluster/index.js";
import type { Logger } from "../x/index.js";
import { openClusterKVWhenReachable, rpcClientTls } from "./cluster-kv.js";
import type { COMMANDS, FlagValues } from "./commands.js";
import { loadConfig, type M3tsConfig } from "./config.js";
import { ConfigError } from "./config-error.js";
import { type CoordinatorStack, startCoordinatorStack } from "./coordinator-stack.js";
import { runUntilSignal } from "./signals.js";

export interface RunningClusterCoordinator {
  config: M3tsConfig;
  client: ClusterClient;
  stack: CoordinatorStack;
  stop(): Promise<void>;
}

/** Starts a coordinator over the cluster the KV describes. */
export async function startClusterCoordinator(
  config: M3tsConfig,
  logger: Logger,
  kv: KV,
): Promise<RunningClusterCoordinator> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "m3ts_process_" });
  const tls = rpcClientTls(config);
  const client = await ClusterClient.open({
    kv,
    transportFactory: (endpoint) => new GrpcNodeTransport(endpoint, tls),
    writeConsistency: config.cluster.writeConsistency,
    readConsistency: config.cluster.readConsistency,
  });
  new Counter({
    name: "m3ts_client_replica_write_failures_total",
    help: "Replica writes that failed, also those whose datapoint met its consistency level on the other replicas (what a replica lacks until repair).",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(client.replicaWriteFailures);
    },
  });
  const stack = await startCoordinatorStack({
    config,
    client,
    kv,
    registry,
    logger,
    metadataDir: resolve(config.dataDir),
    isReady: () => client.state() === "bootstrapped",
    cluster: true,
  });
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      await stack.close();
      client.close();
      await kv.close();
    })();
    return stopping;
  };
  return { config, client, stack, stop };
}

/** Runs `m3ts coordinator` until a signal; returns the exit code. */
export async function coordinator(
  flags: FlagValues<(typeof COMMANDS)["coordinator"]>,
  out: (line: string) => void,
): Promise<number> {
  let config: M3tsConfig;
  try {
    config = loadConfig({ file: flags["--config"], env: process.env });
  } catch (e) {
    if (e instanceof ConfigError) {
      out(`m3ts coordinator: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const logger = pino({ level: config.logging.level, base: undefined });
  const kv = await openClusterKVWhenReachable(config, logger);
  const running = await startClusterCoordinator(config, logger, kv);
  const { host, port } = running.stack.coordinator.address;
  out(
    `m3ts coordinator listening: http://${host}:${port}; cluster in etcd ${config.cluster.etcd.endpoints} (env ${config.cluster.env})`,
  );
  return runUntilSignal(() => running.stop(), logger);
}
