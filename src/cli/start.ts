// `m3ts start`: the all-in-one node. The database, the coordinator reaching
// it through the in-process client, the embedded file-backed KV holding
// namespaces and placement, and the carbon listener, in one process.
// SIGTERM or SIGINT stops taking requests, lets the ones in flight finish,
// flushes the commit log and exits 0; a second signal exits at once.
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { pino } from "pino";
import { collectDefaultMetrics, Registry } from "prom-client";
import { type Client, InProcessClient } from "../client/index.js";
import { ensureLocalPlacement, FileKV } from "../cluster/index.js";
import type { CarbonServer, Coordinator } from "../coordinator/index.js";
import { Database, type DatabaseOptions } from "../dbnode/storage/index.js";
import type { Logger } from "../x/index.js";
import type { COMMANDS, FlagValues } from "./commands.js";
import { loadConfig, type M3tsConfig } from "./config.js";
import { ConfigError } from "./config-error.js";
import { startCoordinatorStack } from "./coordinator-stack.js";
import { NamespaceSync } from "./namespace-sync.js";
import { runUntilSignal } from "./signals.js";

/** A running node: what `start` built, and how to stop it. */
export interface RunningNode {
  config: M3tsConfig;
  db: Database;
  coordinator: Coordinator;
  carbon: CarbonServer | null;
  /** Resolves once bootstrap is done and the namespaces match the registry. */
  ready: Promise<void>;
  /** Resolves once the node's namespaces match the registry as it is now. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartNodeOptions {
  /**
   * What the coordinator and carbon are given in place of the in-process
   * client: a test wraps it to hold or observe writes on their way.
   */
  wrapClient?: (inner: Client) => Client;
}

/** Builds and starts a node from a configuration. */
export async function startNode(
  config: M3tsConfig,
  logger: Logger,
  options: StartNodeOptions = {},
): Promise<RunningNode> {
  const dataDir = resolve(config.dataDir);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "m3ts_process_" });
  const db = await Database.open(databaseOptions(config, config.db.numShards, logger, registry));
  const kv = await FileKV.open(join(dataDir, "kv"));
  const inner = new InProcessClient(db);
  const client = options.wrapClient?.(inner) ?? inner;
  const sync = new NamespaceSync(db, kv, logger);
  let isReady = false;
  const stack = await startCoordinatorStack({
    config,
    client,
    kv,
    registry,
    logger,
    metadataDir: dataDir,
    isReady: () => isReady,
  });
  const { coordinator, carbon } = stack;
  const ready = (async () => {
    await db.bootstrapped;
    await sync.start(config.namespaces);
    const { port } = coordinator.address;
    await ensureLocalPlacement(kv, {
      numShards: config.db.numShards,
      endpoint: `127.0.0.1:${port}`,
      hostname: hostname(),
      port,
    });
    isReady = true;
  })();
  ready.catch((e) => logger.error({ err: e }, "bootstrap failed"));
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      await stack.close();
      sync.stop();
      await ready.catch(() => {});
      await db.close();
      await kv.close();
    })();
    return stopping;
  };
  const settled = async () => {
    await ready;
    await sync.settle();
  };
  return { config, db, coordinator, carbon, ready, settled, stop };
}

/** The database's options from the configuration, with the shard count the node serves. */
export function databaseOptions(
  config: M3tsConfig,
  numShards: number,
  logger: Logger,
  registry: Registry,
): DatabaseOptions {
  return {
    dataDir: resolve(config.dataDir),
    numShards,
    commitLog: {
      strategy: config.db.commitLog.strategy,
      ...(config.db.commitLog.flushIntervalMs !== null && {
        flushIntervalMs: config.db.commitLog.flushIntervalMs,
      }),
      ...(config.db.commitLog.flushMaxBytes !== null && {
        flushMaxBytes: config.db.commitLog.flushMaxBytes,
      }),
    },
    cache: config.db.cache,
    tickIntervalMs: config.db.tickIntervalMs,
    snapshotIntervalMs: config.db.snapshotIntervalMs,
    maxOpenFiles: config.db.maxOpenFiles,
    compaction: {
      enabled: config.db.compaction.enabled,
      afterMs: config.db.compaction.afterMs,
      ...(config.db.compaction.maxSpanMs !== null && {
        maxSpanMs: config.db.compaction.maxSpanMs,
      }),
    },
    logger,
    metrics: registry,
  };
}

/** Runs `m3ts start` with its parsed flags until a signal; returns the exit code. */
export async function start(
  flags: FlagValues<(typeof COMMANDS)["start"]>,
  out: (line: string) => void,
): Promise<number> {
  const file = flags["--config"];
  const dataDir = flags["--data-dir"];
  let config: M3tsConfig;
  try {
    config = loadConfig({ file, env: process.env, dataDir });
  } catch (e) {
    if (e instanceof ConfigError) {
      out(`m3ts start: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const logger = pino({ level: config.logging.level, base: undefined });
  const node = await startNode(config, logger);
  const http = node.coordinator.address;
  out(
    `m3ts listening: coordinator http://${hostPort(http.host, http.port)}` +
      (node.carbon === null
        ? ""
        : `, carbon tcp://${hostPort(node.carbon.address.host, node.carbon.address.port)}`) +
      `; data in ${resolve(config.dataDir)}`,
  );
  node.ready.then(
    () => logger.info({}, "ready: bootstrapped, taking writes and reads"),
    () => {},
  );
  return runUntilSignal(() => node.stop(), logger);
}

function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
