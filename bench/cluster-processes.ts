// The cluster of bench:cluster on this machine: a one-member etcd, three
// `m3ts dbnode` processes and one `m3ts coordinator`, all on loopback under
// one fresh directory; the database created through the coordinator's admin
// API with M3's cluster body (RF 3, one isolation group per host), and every
// process waited for until it answers /ready. Stopping it stops only what it
// started and removes the directory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type ClusterProcess,
  startCoordinatorProcess,
  startDbnodeProcess,
  stopProcess,
} from "../test/support/cluster.js";
import { type EtcdProcess, startEtcd } from "../test/support/etcd.js";
import { waitForOk } from "../test/support/processes.js";
import { metricSum } from "./query-servers.js";

export const CLUSTER_LIMITS = {
  /** Replicas of every shard, and so dbnodes (one per isolation group). */
  replicationFactor: 3,
  /** M3's smallest cluster default: a power of two, at least 64 shards. */
  numShards: 64,
  retentionTime: "48h",
  /** Bound of the wait for every process's /ready after the database is created. */
  readyMs: 120_000,
  createTimeoutMs: 30_000,
  metricsTimeoutMs: 10_000,
  /** Replicated writes still arriving: the dbnodes' written count is polled this often... */
  drainPollMs: 200,
  /** ...until it stays unchanged over one poll, or this long passes. */
  drainMaxMs: 20_000,
} as const;

/** The namespace bench:cluster writes and queries, as bench:ingest's and bench:query's `m3ts start`. */
export const CLUSTER_NAMESPACE = "default";

export interface BenchCluster {
  root: string;
  etcd: EtcdProcess;
  dbnodes: ClusterProcess[];
  coordinator: ClusterProcess;
  /** The coordinator's base URL. */
  base: string;
  /** Every m3ts process, dbnodes first then the coordinator. */
  processes: ClusterProcess[];
}

/** Host IDs of the dbnodes: node-0, node-1, ... */
export function dbnodeHostIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `node-${i}`);
}

/** M3's database/create body for a cluster of these dbnodes, each in its own isolation group. */
export function clusterCreateBody(
  dbnodes: readonly { name: string; rpcPort: number }[],
  o: { namespace: string; retentionTime: string; numShards: number; replicationFactor: number },
): Record<string, unknown> {
  return {
    type: "cluster",
    namespaceName: o.namespace,
    retentionTime: o.retentionTime,
    numShards: o.numShards,
    replicationFactor: o.replicationFactor,
    hosts: dbnodes.map((d, i) => ({
      id: d.name,
      isolationGroup: `group-${i}`,
      zone: "embedded",
      weight: 100,
      address: "127.0.0.1",
      port: d.rpcPort,
    })),
  };
}

/**
 * Starts etcd, the dbnodes and the coordinator, creates the database and
 * waits until all of them are ready. `dbnodeYaml` holds extra top-level
 * sections for every dbnode (e.g. the commit log strategy);
 * `writeConsistency` is the coordinator's (M3's default, majority, unless
 * given).
 */
export async function startBenchCluster(o: {
  dbnodeYaml: string;
  writeConsistency?: "one" | "majority" | "all";
}): Promise<BenchCluster> {
  const root = mkdtempSync(join(tmpdir(), "bench-cluster-"));
  const etcd = await startEtcd();
  const started: ClusterProcess[] = [];
  try {
    for (const id of dbnodeHostIds(CLUSTER_LIMITS.replicationFactor)) {
      started.push(await startDbnodeProcess(root, id, etcd.endpoints, { yaml: o.dbnodeYaml }));
    }
    const dbnodes = [...started];
    const coordinator = await startCoordinatorProcess(root, "coordinator", etcd.endpoints, {
      clusterYaml:
        o.writeConsistency === undefined ? "" : `  writeConsistency: ${o.writeConsistency}`,
    });
    started.push(coordinator);
    const cluster: BenchCluster = {
      root,
      etcd,
      dbnodes,
      coordinator,
      base: coordinator.base,
      processes: started,
    };
    await createDatabase(cluster);
    for (const p of started) {
      try {
        await waitForOk(`${p.base}/ready`, p.child, CLUSTER_LIMITS.readyMs);
      } catch (e) {
        throw new Error(`${p.name}: ${(e as Error).message}\n--- ${p.name} log ---\n${tail(p)}`);
      }
    }
    return cluster;
  } catch (e) {
    await stopAll(started, etcd, root);
    throw e;
  }
}

async function createDatabase(cluster: BenchCluster): Promise<void> {
  const body = clusterCreateBody(cluster.dbnodes, {
    namespace: CLUSTER_NAMESPACE,
    retentionTime: CLUSTER_LIMITS.retentionTime,
    numShards: CLUSTER_LIMITS.numShards,
    replicationFactor: CLUSTER_LIMITS.replicationFactor,
  });
  const res = await fetch(`${cluster.base}/api/v1/database/create`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(CLUSTER_LIMITS.createTimeoutMs),
  });
  const text = await res.text();
  if (res.status !== 200) {
    throw new Error(
      `database/create answered ${res.status}: ${text.slice(0, 1000)}\n` +
        `--- coordinator log ---\n${tail(cluster.coordinator)}`,
    );
  }
}

function tail(p: ClusterProcess): string {
  try {
    return p.log().slice(-4000);
  } catch {
    return "(no log)";
  }
}

async function stopAll(
  processes: ClusterProcess[],
  etcd: EtcdProcess,
  root: string,
): Promise<void> {
  // The coordinator first, so that it does not retry against stopped nodes.
  for (const p of [...processes].reverse()) await stopProcess(p);
  await etcd.cleanup();
  rmSync(root, { recursive: true, force: true });
}

/** Stops every process of the cluster and etcd, and removes the cluster's directory. */
export async function stopBenchCluster(cluster: BenchCluster): Promise<void> {
  await stopAll(cluster.processes, cluster.etcd, cluster.root);
}

/** The log tail of every process of the cluster, for a failure's message. */
export function clusterLogs(cluster: BenchCluster): string {
  return cluster.processes.map((p) => `--- ${p.name} log ---\n${tail(p)}`).join("\n");
}

/** Datapoints each dbnode has written, in the order of `cluster.dbnodes`, from their /metrics. */
export async function datapointsWrittenByNode(cluster: BenchCluster): Promise<number[]> {
  const out: number[] = [];
  for (const d of cluster.dbnodes) {
    const res = await fetch(`${d.base}/metrics`, {
      signal: AbortSignal.timeout(CLUSTER_LIMITS.metricsTimeoutMs),
    });
    out.push(metricSum(await res.text(), "m3ts_db_datapoints_written_total"));
  }
  return out;
}

/** Datapoints the dbnodes have written, all replicas together. */
export async function replicaDatapointsWritten(cluster: BenchCluster): Promise<number> {
  return (await datapointsWrittenByNode(cluster)).reduce((a, b) => a + b, 0);
}

/**
 * Waits until the dbnodes' written count stops moving: a write acknowledged
 * by a majority may still be on its way to the third replica, and its CPU
 * belongs to the run. Returns the count it settled at.
 */
export async function drainReplicaWrites(cluster: BenchCluster): Promise<number> {
  const t0 = performance.now();
  let last = await replicaDatapointsWritten(cluster);
  for (;;) {
    await new Promise((r) => setTimeout(r, CLUSTER_LIMITS.drainPollMs));
    const now = await replicaDatapointsWritten(cluster);
    if (now === last || performance.now() - t0 > CLUSTER_LIMITS.drainMaxMs) return now;
    last = now;
  }
}
