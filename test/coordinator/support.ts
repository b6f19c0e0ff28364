// An all-in-one node started in this process on ephemeral loopback ports,
// for the coordinator's endpoint tests, and the requests those tests send it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compressSync } from "snappy";
import {
  defaultConfig,
  type M3tsConfig,
  type RunningNode,
  type StartNodeOptions,
  startNode,
} from "../../src/cli/testing.js";
import type { Client } from "../../src/client/index.js";
import { encodeWriteRequest, type TestSeries } from "../../src/coordinator/index.js";
import type { Database } from "../../src/dbnode/storage/index.js";
import { silentLogger } from "../../src/x/index.js";
import { remoteRead } from "../support/remote-read-client.js";

export interface TestNode {
  node: RunningNode;
  base: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startTestNode(
  adjust: (config: M3tsConfig) => void = () => {},
  options: StartNodeOptions = {},
): Promise<TestNode> {
  const dir = mkdtempSync(join(tmpdir(), "m3ts-coord-"));
  const config = defaultConfig();
  config.dataDir = join(dir, "data");
  config.coordinator.listenAddress = { host: "127.0.0.1", port: 0 };
  config.carbon.listenAddress = { host: "127.0.0.1", port: 0 };
  adjust(config);
  const node = await startNode(config, silentLogger, options);
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

/** The node of `m3ts start`, except that the coordinator and carbon reach the database through `wrap(inner)`. */
export async function startWrappedNode(
  wrap: (inner: Client) => Client,
  adjust: (config: M3tsConfig) => void = () => {},
): Promise<WrappedTestNode> {
  let inner: Client | null = null;
  const n = await startTestNode(adjust, {
    wrapClient: (c) => {
      inner = c;
      return wrap(c);
    },
  });
  if (inner === null) throw new Error("startNode did not build a client");
  return { base: n.base, db: n.node.db, inner, stop: n.stop };
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

/** The series matching `matchers` over the last hour, read back through remote read (SAMPLES). */
export async function readRecent(
  base: string,
  matchers: { type: "=" | "=~"; name: string; value: string }[],
) {
  const [series] = await remoteRead(`${base}/api/v1/prom/remote/read`, [
    { startMs: Date.now() - 3_600_000, endMs: Date.now() + 60_000, matchers },
  ]);
  return series;
}
