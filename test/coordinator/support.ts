// An all-in-one node started in this process on ephemeral loopback ports,
// for the coordinator's endpoint tests.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { compressSync } from "snappy";
import { defaultConfig, type M3tsConfig } from "../../src/cli/config.js";
import { type RunningNode, startNode } from "../../src/cli/start.js";
import { type Client, InProcessClient } from "../../src/client/index.js";
import { FileKV } from "../../src/cluster/index.js";
import {
  Coordinator,
  CoordinatorMetrics,
  encodeWriteRequest,
  type TestSeries,
} from "../../src/coordinator/index.js";
import { Database } from "../../src/dbnode/storage/index.js";
import { silentLogger } from "../../src/x/index.js";

export interface TestNode {
  node: RunningNode;
  base: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startTestNode(
  adjust: (config: M3tsConfig) => void = () => {},
): Promise<TestNode> {
  const dir = mkdtempSync(join(tmpdir(), "m3ts-coord-"));
  const config = defaultConfig();
  config.dataDir = join(dir, "data");
  config.coordinator.listenAddress = { host: "127.0.0.1", port: 0 };
  config.carbon.listenAddress = { host: "127.0.0.1", port: 0 };
  adjust(config);
  const node = await startNode(config, silentLogger);
  await node.ready;
  const { port } = node.coordinator.address;
  return {
    node,
    base: `http://127.0.0.1:${port}`,
    dir,
    async stop() {
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A database and a coordinator in this process, the coordinator reaching the database through a client the test chose. */
export interface WrappedTestNode {
  base: string;
  db: Database;
  /** The real in-process client, under whatever the test wrapped around it. */
  inner: Client;
  stop(): Promise<void>;
}

/**
 * Builds what `m3ts start` builds (database with the configured namespaces,
 * embedded KV, coordinator; no carbon, no namespace sync), except that the
 * coordinator is given `wrap(inner)` instead of the in-process client.
 */
export async function startWrappedNode(
  wrap: (inner: Client) => Client,
  adjust: (config: M3tsConfig) => void = () => {},
): Promise<WrappedTestNode> {
  const dir = mkdtempSync(join(tmpdir(), "m3ts-coord-"));
  const config = defaultConfig();
  config.dataDir = join(dir, "data");
  adjust(config);
  const registry = new Registry();
  const db = await Database.open({
    dataDir: config.dataDir,
    numShards: config.db.numShards,
    commitLog: { strategy: config.db.commitLog.strategy },
    logger: silentLogger,
    metrics: registry,
  });
  await db.bootstrapped;
  for (const { name, options } of config.namespaces) await db.createNamespace(name, options);
  const kv = await FileKV.open(join(config.dataDir, "kv"));
  const inner = new InProcessClient(db);
  const c = config.coordinator;
  const coordinator = await Coordinator.start({
    client: wrap(inner),
    kv,
    registry,
    metrics: new CoordinatorMetrics(registry),
    logger: silentLogger,
    host: "127.0.0.1",
    port: 0,
    namespace: c.writeNamespace,
    ingest: {
      maxBodyBytes: c.maxBodyBytes,
      maxInflightWriteRequests: c.maxInflightWriteRequests,
      maxPendingWriteSamples: c.maxPendingWriteSamples,
      maxSeriesCacheBytes: c.maxSeriesCacheBytes,
    },
    remoteRead: c.remoteRead,
    numShards: config.db.numShards,
    isReady: () => true,
  });
  return {
    base: `http://127.0.0.1:${coordinator.address.port}`,
    db,
    inner,
    async stop() {
      await coordinator.close();
      await db.close();
      await kv.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Posts a remote write of `series` (snappy-compressed) and returns status and body text. */
export async function remoteWrite(
  base: string,
  series: readonly TestSeries[],
  options: { version?: "1.0" | "2.0"; headers?: Record<string, string>; path?: string } = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const body = compressSync(encodeWriteRequest(series, { version: options.version ?? "1.0" }));
  return post(base + (options.path ?? "/api/v1/prom/remote/write"), body, {
    "Content-Type":
      options.version === "2.0"
        ? "application/x-protobuf;proto=io.prometheus.write.v2.Request"
        : "application/x-protobuf",
    "Content-Encoding": "snappy",
    ...options.headers,
  });
}

export async function post(
  url: string,
  body: Uint8Array | string,
  headers: Record<string, string> = {},
  method = "POST",
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url, { method, headers, body });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

export function nowSeriesTimes(count: number, stepMs = 1000): number[] {
  const start = Date.now() - count * stepMs;
  return Array.from({ length: count }, (_, i) => start + i * stepMs);
}
