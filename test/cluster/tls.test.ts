// The node RPC under the configuration's TLS: a dbnode started from a
// configuration with `cluster.tls` serves only clients that trust its CA and
// present a certificate it signed; the cluster client built from the same
// keys writes and reads through it.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pino } from "pino";
import { loadConfig, rpcClientTls, startDbnode } from "../../src/cli/testing.js";
import { ClusterClient, GrpcNodeTransport, NodeUnavailableError } from "../../src/client/index.js";
import {
  FileKV,
  initialPlacement,
  NAMESPACES_KEY,
  PLACEMENT_KEY,
  registryOf,
} from "../../src/cluster/index.js";
import { resolveNamespaceOptions } from "../../src/dbnode/namespace/index.js";
import { newMatcher } from "../../src/index/index.js";
import { encodeTags, seriesIdString } from "../../src/x/index.js";
import { freeLoopbackPort } from "../support/processes.js";
import { makeTestCertificates } from "../support/tls.js";

test("a dbnode configured with cluster.tls serves the cluster client over TLS and refuses clients without the CA", async () => {
  const certs = makeTestCertificates();
  const dir = mkdtempSync(join(tmpdir(), "m3ts-tls-node-"));
  const kv = await FileKV.open(join(dir, "kv"));
  const rpcPort = await freeLoopbackPort();
  const httpPort = await freeLoopbackPort();
  const config = loadConfig({
    env: {},
    text: [
      `dataDir: ${JSON.stringify(join(dir, "data"))}`,
      "logging:",
      "  level: warn",
      "dbnode:",
      "  hostID: node-tls",
      `  listenAddress: "127.0.0.1:${rpcPort}"`,
      `  httpListenAddress: "127.0.0.1:${httpPort}"`,
      "cluster:",
      "  tls:",
      `    caFile: ${JSON.stringify(certs.caFile)}`,
      `    certFile: ${JSON.stringify(certs.serverCertFile)}`,
      `    keyFile: ${JSON.stringify(certs.serverKeyFile)}`,
    ].join("\n"),
  });
  const endpoint = `127.0.0.1:${rpcPort}`;
  await kv.set(
    NAMESPACES_KEY,
    registryOf([
      { name: "default", options: resolveNamespaceOptions({ index: { enabled: true } }) },
    ]),
  );
  await kv.set(
    PLACEMENT_KEY,
    initialPlacement({
      numShards: 4,
      replicaFactor: 1,
      instances: [
        {
          id: "node-tls",
          isolationGroup: "a",
          zone: "embedded",
          weight: 1,
          endpoint,
          hostname: "localhost",
          port: rpcPort,
          shardSetId: 0,
        },
      ],
    }),
  );
  const logger = pino({ level: "warn" });
  const node = await startDbnode(config, logger, kv);
  const clientConfig = loadConfig({
    env: {},
    text: [
      "cluster:",
      "  tls:",
      `    caFile: ${JSON.stringify(certs.caFile)}`,
      `    certFile: ${JSON.stringify(certs.clientCertFile)}`,
      `    keyFile: ${JSON.stringify(certs.clientKeyFile)}`,
    ].join("\n"),
  });
  const client = await ClusterClient.open({
    kv,
    transportFactory: (e) => new GrpcNodeTransport(e, rpcClientTls(clientConfig)),
  });
  try {
    await node.ready;
    // The node marked its shards Available once bootstrapped.
    const placement = (await kv.get(PLACEMENT_KEY))?.value as {
      instances: Record<string, { shards: { state: string }[] }>;
    };
    assert.ok(placement.instances["node-tls"].shards.every((s) => s.state === "AVAILABLE"));

    const tags: [string, string][] = [
      ["__name__", "tls_probe"],
      ["job", "x"],
    ];
    const now = Date.now();
    const written = await client.writeBatch("default", {
      count: 2,
      series: [0, 0],
      timesMs: [now - 1000, now],
      values: Float64Array.of(1.5, 2.5),
      seriesIds: [seriesIdString(tags)],
      seriesTags: [encodeTags(tags)],
    });
    assert.deepEqual(
      written.errors.map((e) => e.error.message),
      [],
    );
    assert.equal(written.written, 2);
    const got = await client.fetchTagged(
      "default",
      [newMatcher("=", "__name__", "tls_probe")],
      now - 60_000,
      now + 1000,
      { maxSeries: 0, maxDocsScanned: 0, maxSamples: 0 },
    );
    assert.equal(got.length, 1);
    assert.deepEqual([...got[0].values], [1.5, 2.5]);

    // Plaintext, and TLS without a client certificate, are turned away.
    for (const transport of [
      new GrpcNodeTransport(endpoint),
      new GrpcNodeTransport(endpoint, { tls: { caFile: certs.caFile } }),
    ]) {
      await assert.rejects(transport.health(Date.now() + 3000), NodeUnavailableError);
      transport.close();
    }
  } finally {
    client.close();
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
    certs.cleanup();
  }
});
