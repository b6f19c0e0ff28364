// The admin API over HTTP in both modes: cluster placements from placement
// init and database/create `type: "cluster"` (M3's bodies and defaults), the
// Dry-Run header, and the refusals with the field or hosts they concern.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { FileKV, NAMESPACES_KEY, PLACEMENT_KEY, type Placement } from "../../cluster/index.js";
import { silentLogger } from "../../x/index.js";
import { sendFailure } from "../http.js";
import { AdminApi, type AdminApiOptions } from "./admin-api.js";

interface Running {
  base: string;
  kv: FileKV;
  stop(): Promise<void>;
}

/** The admin routes of the coordinator's table over a FileKV in a temp dir, on a loopback port. */
async function startAdmin(options: (kv: FileKV) => AdminApiOptions): Promise<Running> {
  const dir = await mkdtemp(join(tmpdir(), "m3ts-admin-"));
  const kv = await FileKV.open(dir);
  const admin = new AdminApi(options(kv));
  const routes: [string, RegExp, (req: IncomingMessage, res: ServerResponse) => Promise<void>][] = [
    ["POST", /^\/api\/v1\/database\/create$/, (q, s) => admin.databaseCreate(q, s)],
    ["GET", /^\/api\/v1\/services\/m3db\/placement$/, (q, s) => admin.placementGet(q, s)],
    ["POST", /^\/api\/v1\/services\/m3db\/placement\/init$/, (q, s) => admin.placementInit(q, s)],
    ["GET", /^\/api\/v1\/services\/m3db\/namespace$/, (q, s) => admin.namespaceGet(q, s)],
  ];
  const server: Server = createServer((req, res) => {
    const found = routes.find(([m, path]) => m === req.method && path.test(req.url ?? ""));
    if (found === undefined) {
      res.writeHead(404).end();
      return;
    }
    found[2](req, res).catch((e) => sendFailure(res, e, silentLogger));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    kv,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await kv.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

interface PlacementBody {
  placement: {
    instances: Record<
      string,
      {
        id: string;
        isolationGroup: string;
        zone: string;
        weight: number;
        endpoint: string;
        hostname: string;
        port: number;
        shards: { id: number; state: string }[];
      }
    >;
    replicaFactor: number;
    numShards: number;
  };
  version: number;
}

const threeRacks = [
  {
    id: "node-a",
    isolation_group: "rack-a",
    zone: "embedded",
    weight: 1,
    endpoint: "10.0.0.1:9000",
    hostname: "node-a",
    port: 9000,
  },
  { id: "node-b", isolationGroup: "rack-b", endpoint: "10.0.0.2:9000" },
  { id: "node-c", isolationGroup: "rack-c", endpoint: "10.0.0.3:9001" },
];

describe("admin API serving a cluster", () => {
  let n: Running;
  before(async () => {
    n = await startAdmin((kv) => ({ kv, mode: "cluster" }));
  });
  after(() => n.stop());

  test("placement init Dry-Run answers the placement and writes nothing", async () => {
    const dry = await post(
      `${n.base}/api/v1/services/m3db/placement/init`,
      { num_shards: 8, replication_factor: 3, instances: threeRacks },
      { "Dry-Run": "true" },
    );
    assert.equal(dry.status, 200, JSON.stringify(dry.json));
    const body = dry.json as unknown as PlacementBody;
    assert.equal(body.version, 0);
    assert.deepEqual(Object.keys(body.placement.instances), ["node-a", "node-b", "node-c"]);
    assert.equal(await n.kv.get(PLACEMENT_KEY), null);
    const get = await fetch(`${n.base}/api/v1/services/m3db/placement`);
    assert.equal(get.status, 404);
  });

  test("placement init refusals name the hosts and groups, or the field", async () => {
    const oneRack = await post(`${n.base}/api/v1/services/m3db/placement/init`, {
      numShards: 8,
      replicationFactor: 3,
      instances: threeRacks.map((i) => ({
        ...i,
        isolation_group: undefined,
        isolationGroup: "rack-a",
      })),
    });
    assert.equal(oneRack.status, 400);
    assert.match(
      String(oneRack.json.error),
      /replication factor 3 needs instances in at least 3 isolation groups, but the hosts are in 1 group \("rack-a": node-a, node-b, node-c\)/,
    );
    const noEndpoint = await post(`${n.base}/api/v1/services/m3db/placement/init`, {
      numShards: 8,
      replicationFactor: 1,
      instances: [threeRacks[0], { id: "node-b", isolationGroup: "rack-b" }],
    });
    assert.equal(noEndpoint.status, 400);
    assert.match(
      String(noEndpoint.json.error),
      /^instances\[1\]\.endpoint: expected the node's "host:port"/,
    );
    const noGroup = await post(`${n.base}/api/v1/services/m3db/placement/init`, {
      numShards: 8,
      replicationFactor: 1,
      instances: [{ id: "node-a", endpoint: "10.0.0.1:9000" }],
    });
    assert.equal(noGroup.status, 400);
    assert.match(String(noGroup.json.error), /^instances\[0\]\.isolationGroup: expected/);
    assert.equal(await n.kv.get(PLACEMENT_KEY), null);
  });

  test("placement init writes a cluster placement, every shard INITIALIZING on RF owners; again is 409", async () => {
    const res = await post(`${n.base}/api/v1/services/m3db/placement/init`, {
      num_shards: 8,
      replication_factor: 3,
      instances: threeRacks,
    });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const body = res.json as unknown as PlacementBody;
    assert.equal(body.version, 1);
    assert.equal(body.placement.numShards, 8);
    assert.equal(body.placement.replicaFactor, 3);
    const b = body.placement.instances["node-b"];
    // Defaults: zone the service zone, weight 1, hostname and port from the endpoint.
    assert.deepEqual([b.zone, b.weight, b.hostname, b.port], ["embedded", 1, "10.0.0.2", 9000]);
    assert.equal(body.placement.instances["node-c"].port, 9001);
    for (const i of Object.values(body.placement.instances)) {
      assert.deepEqual(
        i.shards.map((s) => [s.id, s.state]),
        Array.from({ length: 8 }, (_, k) => [k, "INITIALIZING"]),
      );
    }
    const get = await fetch(`${n.base}/api/v1/services/m3db/placement`);
    assert.deepEqual(await get.json(), body);
    const again = await post(`${n.base}/api/v1/services/m3db/placement/init`, {
      numShards: 8,
      replicationFactor: 3,
      instances: threeRacks,
    });
    assert.equal(again.status, 409);
    assert.match(String(again.json.error), /placement already exists/);
  });
});

describe("database/create type cluster", () => {
  let n: Running;
  before(async () => {
    n = await startAdmin((kv) => ({ kv, mode: "cluster" }));
  });
  after(() => n.stop());

  const url = () => `${n.base}/api/v1/database/create`;
  const hosts = [
    { id: "h1", address: "10.0.0.1", port: 9000, isolationGroup: "rack-a" },
    { id: "h2", address: "10.0.0.2", port: 9000, isolation_group: "rack-b" },
    { id: "h3", address: "10.0.0.3", port: 9000, isolationGroup: "rack-c", weight: 2 },
  ];

  test("hosts without isolation groups at the default RF 3: 400 naming the hosts, nothing written", async () => {
    const res = await post(url(), {
      type: "cluster",
      namespaceName: "metrics",
      hosts: hosts.map(({ id, address, port }) => ({ id, address, port })),
    });
    assert.equal(res.status, 400);
    assert.match(
      String(res.json.error),
      /replication factor 3 needs instances in at least 3 isolation groups, but the hosts are in 1 group \("local": h1, h2, h3\)/,
    );
    assert.equal(await n.kv.get(PLACEMENT_KEY), null);
    assert.equal(await n.kv.get(NAMESPACES_KEY), null);
  });

  test("type local, or no hosts before any placement: 400 naming the field", async () => {
    const local = await post(url(), { type: "local", namespaceName: "metrics" });
    assert.equal(local.status, 400);
    assert.match(
      String(local.json.error),
      /^type: expected "cluster": this coordinator serves a cluster/,
    );
    const noHosts = await post(url(), { type: "cluster", namespaceName: "metrics" });
    assert.equal(noHosts.status, 400);
    assert.match(String(noHosts.json.error), /^hosts: expected the cluster's hosts/);
  });

  test("Dry-Run answers the namespace and the placement and writes neither", async () => {
    const res = await post(
      url(),
      { type: "cluster", namespaceName: "metrics", hosts },
      { "Dry-Run": "true" },
    );
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const body = res.json as {
      namespace: { registry: { namespaces: Record<string, unknown> } };
      placement: PlacementBody;
    };
    assert.deepEqual(Object.keys(body.namespace.registry.namespaces), ["metrics"]);
    assert.equal(body.placement.placement.numShards, 256);
    assert.equal(await n.kv.get(PLACEMENT_KEY), null);
    assert.equal(await n.kv.get(NAMESPACES_KEY), null);
  });

  test("creates the placement (RF 3, 256 shards for 3 hosts) and the namespace; later calls add namespaces only", async () => {
    const res = await post(url(), {
      type: "cluster",
      namespaceName: "metrics",
      retentionTime: "48h",
      hosts,
    });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const body = res.json as {
      namespace: {
        registry: { namespaces: Record<string, { retentionOptions: { blockSizeNanos: string } }> };
      };
      placement: PlacementBody;
    };
    assert.equal(
      body.namespace.registry.namespaces.metrics.retentionOptions.blockSizeNanos,
      String(2 * 3600e9),
    );
    const p = body.placement.placement;
    assert.equal(p.replicaFactor, 3);
    assert.equal(p.numShards, 256);
    assert.deepEqual(Object.keys(p.instances), ["h1", "h2", "h3"]);
    const h3 = p.instances.h3;
    assert.deepEqual(
      [h3.isolationGroup, h3.zone, h3.weight, h3.endpoint, h3.hostname, h3.port],
      ["rack-c", "embedded", 2, "10.0.0.3:9000", "10.0.0.3", 9000],
    );
    for (const i of Object.values(p.instances)) {
      assert.equal(i.shards.length, 256);
      assert.ok(i.shards.every((s) => s.state === "INITIALIZING"));
    }
    const stored = await n.kv.get(PLACEMENT_KEY);
    assert.ok(stored !== null);
    assert.equal(stored.version, body.placement.version);
    assert.equal((stored.value as Placement).numShards, 256);

    // The same hosts again: the placement stands, the namespace is added.
    const same = await post(url(), { type: "cluster", namespaceName: "second", hosts });
    assert.equal(same.status, 200, JSON.stringify(same.json));
    assert.equal((same.json.placement as PlacementBody).version, body.placement.version);
    // No hosts: the namespace alone.
    const bare = await post(url(), { type: "cluster", namespaceName: "third" });
    assert.equal(bare.status, 200, JSON.stringify(bare.json));
    const ns = await fetch(`${n.base}/api/v1/services/m3db/namespace`);
    const registry = (await ns.json()) as { registry: { namespaces: Record<string, unknown> } };
    assert.deepEqual(Object.keys(registry.registry.namespaces).sort(), [
      "metrics",
      "second",
      "third",
    ]);
    assert.equal((await n.kv.get(PLACEMENT_KEY))?.version, body.placement.version);

    // Hosts that differ from the placement: 400 saying how; nothing written.
    const moved = await post(url(), {
      type: "cluster",
      namespaceName: "fourth",
      hosts: [...hosts.slice(0, 2), { ...hosts[2], port: 9100 }],
    });
    assert.equal(moved.status, 400);
    assert.match(
      String(moved.json.error),
      /a cluster placement exists and the request differs from it/,
    );
    assert.match(
      String(moved.json.error),
      /host h3 endpoint "10\.0\.0\.3:9100", placement has "10\.0\.0\.3:9000"/,
    );
    const rf = await post(url(), {
      type: "cluster",
      namespaceName: "fourth",
      replicationFactor: 1,
      hosts,
    });
    assert.equal(rf.status, 400);
    assert.match(String(rf.json.error), /replicationFactor 1, placement has 3/);
    const exists = await post(url(), { type: "cluster", namespaceName: "metrics" });
    assert.equal(exists.status, 400);
    assert.match(String(exists.json.error), /namespace "metrics" already exists/);
  });
});

describe("admin API on a single node", () => {
  let n: Running;
  before(async () => {
    n = await startAdmin((kv) => ({ kv, numShards: 16, port: 9000 }));
  });
  after(() => n.stop());

  test("database/create type cluster is a 400 saying the node runs alone", async () => {
    const res = await post(`${n.base}/api/v1/database/create`, {
      type: "cluster",
      namespaceName: "m",
      hosts: [{ id: "h1", address: "a", port: 1 }],
    });
    assert.equal(res.status, 400);
    assert.match(String(res.json.error), /^type: expected "local": this node runs alone/);
  });

  test("placement init Dry-Run answers the local placement without writing it; then it is written", async () => {
    const init = {
      numShards: 16,
      replicationFactor: 1,
      instances: [{ id: "m3db_local", endpoint: "127.0.0.1:9000" }],
    };
    const dry = await post(`${n.base}/api/v1/services/m3db/placement/init`, init, {
      "Dry-Run": "true",
    });
    assert.equal(dry.status, 200, JSON.stringify(dry.json));
    assert.equal(
      (dry.json as unknown as PlacementBody).placement.instances.m3db_local.shards.length,
      16,
    );
    assert.equal(await n.kv.get(PLACEMENT_KEY), null);
    // Only "true" asks for a dry run, as in M3.
    const real = await post(`${n.base}/api/v1/services/m3db/placement/init`, init, {
      "Dry-Run": "yes",
    });
    assert.equal(real.status, 200);
    assert.equal((real.json as unknown as PlacementBody).version, 1);
    assert.notEqual(await n.kv.get(PLACEMENT_KEY), null);
  });

  test("database/create Dry-Run on a single node writes no namespace", async () => {
    const res = await post(
      `${n.base}/api/v1/database/create`,
      { type: "local", namespaceName: "dry" },
      { "Dry-Run": "true" },
    );
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(
      Object.keys(
        (res.json as { namespace: { registry: { namespaces: object } } }).namespace.registry
          .namespaces,
      ),
      ["dry"],
    );
    assert.equal(await n.kv.get(NAMESPACES_KEY), null);
  });
});
