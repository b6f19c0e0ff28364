// The configuration's type as the table computes it, checked when the tests
// compile: the shape `m3ts start` and the node's wiring were written against.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { NamespaceIndexOptions, NamespaceOptionsInput } from "../dbnode/namespace/index.js";
import type { M3tsConfig } from "./config.js";
import type { Equal } from "./config-testing.js";
import type { ListenAddress } from "./config-values.js";
import type { NamespaceEntry } from "./namespace-entries.js";

/** The configuration as it was written by hand before the table computed it. */
type WrittenByHand = {
  dataDir: string;
  logging: { level: "debug" | "info" | "warn" | "error" };
  coordinator: {
    listenAddress: ListenAddress;
    maxBodyBytes: number;
    maxInflightWriteRequests: number;
    maxPendingWriteSamples: number;
    maxSeriesCacheBytes: number;
    writeNamespace: string;
    remoteRead: {
      maxSeries: number;
      maxDocsScanned: number;
      maxSamples: number;
      maxBytesInFrame: number;
    };
  };
  query: {
    lookbackDeltaMs: number;
    timeoutMs: number;
    maxSeries: number;
    requireExhaustive: boolean;
    maxSamples: number;
    maxConcurrent: number;
    maxQueued: number;
    logFile: string | null;
  };
  carbon: { enabled: boolean; listenAddress: ListenAddress; maxLineBytes: number };
  cluster: {
    env: string;
    etcd: {
      endpoints: string;
      caFile: string | null;
      certFile: string | null;
      keyFile: string | null;
    };
    tls: { caFile: string | null; certFile: string | null; keyFile: string | null };
    writeConsistency: "one" | "majority" | "all";
    readConsistency: "one" | "unstrict_majority" | "majority" | "unstrict_all" | "all";
  };
  dbnode: {
    hostID: string | null;
    listenAddress: ListenAddress;
    httpListenAddress: ListenAddress;
  };
  db: {
    numShards: number;
    commitLog: {
      strategy: "wait" | "behind";
      flushIntervalMs: number | null;
      flushMaxBytes: number | null;
    };
    cache: { policy: "none" | "all" | "recently_read" | "lru"; maxBlocks: number };
    tickIntervalMs: number;
    snapshotIntervalMs: number;
    maxOpenFiles: number;
    compaction: { enabled: boolean; afterMs: number; maxSpanMs: number | null };
  };
  namespaces: NamespaceEntry[];
};

type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never]
  ? true
  : false;

const shape: Equal<M3tsConfig, WrittenByHand> = true;
// An option missing from the entry's table, or named unlike NamespaceOptionsInput, fails here.
const options: [
  SameKeys<NamespaceEntry["options"], NamespaceOptionsInput>,
  SameKeys<NamespaceEntry["options"]["index"], NamespaceIndexOptions>,
  Equal<NamespaceEntry["name"], string>,
] = [true, true, true];

test("the table computes the configuration's type, with exactly the namespace options", () => {
  assert.ok(shape && options.every(Boolean));
  const entry: NamespaceEntry = { name: "a", options: { index: { enabled: true } } };
  const input: NamespaceOptionsInput = entry.options;
  assert.deepEqual(input, { index: { enabled: true } });
});
