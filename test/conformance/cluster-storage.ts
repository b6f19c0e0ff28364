// The conformance scripts' storage as a cluster: three in-memory databases
// on one manual clock, each behind its own node RPC server on loopback, a
// placement of RF 3 in an embedded KV, and the cluster client reaching them
// over gRPC. The engine reads through the cluster client exactly as a
// coordinator does; only the transport's ends share a process.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Client,
  ClusterClient,
  GrpcNodeTransport,
  InProcessClient,
} from "../../src/client/index.js";
import {
  FileKV,
  initialPlacement,
  NAMESPACES_KEY,
  PLACEMENT_KEY,
  registryOf,
} from "../../src/cluster/index.js";
import { type NodeServer, startNodeServer } from "../../src/dbnode/server/index.js";
import { Database } from "../../src/dbnode/storage/index.js";
import { clientQuerier, evaluatePartial } from "../../src/query/engine/index.js";
import { ManualClock } from "../../src/x/index.js";
import {
  CONFORMANCE_NAMESPACE_OPTIONS,
  type ConformanceStorage,
  STORAGE_NOW_MS,
} from "./test-storage.js";

const NODES = 3;
const NUM_SHARDS = 8;

export class ClusterTestStorage implements ConformanceStorage {
  readonly client: Client;
  readonly clock: ManualClock;
  private readonly dbs: Database[];
  private readonly servers: NodeServer[];
  private readonly kv: FileKV;
  private readonly kvDir: string;
  private current: string | null = null;
  private made = 0;

  private constructor(
    client: ClusterClient,
    clock: ManualClock,
    dbs: Database[],
    servers: NodeServer[],
    kv: FileKV,
    kvDir: string,
  ) {
    this.client = client;
    this.clock = clock;
    this.dbs = dbs;
    this.servers = servers;
    this.kv = kv;
    this.kvDir = kvDir;
  }

  static async open(): Promise<ClusterTestStorage> {
    const clock = new ManualClock(STORAGE_NOW_MS);
    const dbs: Database[] = [];
    const servers: NodeServer[] = [];
    for (let i = 0; i < NODES; i++) {
      const db = await Database.open({
        dataDir: null,
        clock,
        tickIntervalMs: 0,
        numShards: NUM_SHARDS,
      });
      await db.bootstrapped;
      dbs.push(db);
      servers.push(
        await startNodeServer({
          db,
          host: "127.0.0.1",
          port: 0,
          evaluateAggregate: (req, deadlineMs) =>
            evaluatePartial(
              clientQuerier(
                new InProcessClient(db, { shards: new Set(req.shards) }),
                req.namespace,
              ),
              { ...req, deadlineMs },
            ),
        }),
      );
    }
    const kvDir = mkdtempSync(join(tmpdir(), "m3ts-conformance-kv-"));
    const kv = await FileKV.open(kvDir);
    const placement = initialPlacement({
      numShards: NUM_SHARDS,
      replicaFactor: NODES,
      instances: servers.map((s, i) => ({
        id: `node-${i}`,
        isolationGroup: `group-${i}`,
        zone: "embedded",
        weight: 1,
        endpoint: `127.0.0.1:${s.port}`,
        hostname: "localhost",
        port: s.port,
        shardSetId: 0,
      })),
    });
    for (const inst of Object.values(placement.instances)) {
      for (const shard of inst.shards) shard.state = "AVAILABLE";
    }
    await kv.set(PLACEMENT_KEY, placement);
    const client = await ClusterClient.open({
      kv,
      transportFactory: (endpoint) => new GrpcNodeTransport(endpoint),
      flushIntervalMs: 0,
    });
    return new ClusterTestStorage(client, clock, dbs, servers, kv, kvDir);
  }

  async fresh(): Promise<string> {
    await this.release();
    const name = `promql_${++this.made}`;
    for (const db of this.dbs) await db.createNamespace(name, CONFORMANCE_NAMESPACE_OPTIONS);
    // The cluster client writes and reads only the namespaces of the registry.
    await this.kv.set(NAMESPACES_KEY, registryOf(this.dbs[0].listNamespaces()));
    this.current = name;
    return name;
  }

  async release(): Promise<void> {
    if (this.current !== null) {
      for (const db of this.dbs) await db.dropNamespace(this.current);
      this.current = null;
    }
  }

  async close(): Promise<void> {
    await this.release();
    (this.client as ClusterClient).close();
    for (const s of this.servers) await s.close();
    for (const db of this.dbs) await db.close();
    await this.kv.close();
    rmSync(this.kvDir, { recursive: true, force: true });
  }
}
