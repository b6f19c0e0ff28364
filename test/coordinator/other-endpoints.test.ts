// InfluxDB line protocol, JSON write, carbon, remote read (both response
// types and limits), the admin API and the node's status endpoints.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { compressSync, uncompressSync } from "snappy";
import { XorChunkIterator } from "../../src/codec/index.js";
import { readChunkedFrames } from "../../src/coordinator/index.js";
import { encodeReadRequest, remoteRead } from "../support/remote-read-client.js";
import { nowSeriesTimes, post, remoteWrite, startTestNode, type TestNode } from "./support.js";

async function read(base: string, matchers: { type: "=" | "=~"; name: string; value: string }[]) {
  const [series] = await remoteRead(`${base}/api/v1/prom/remote/read`, [
    { startMs: Date.now() - 3_600_000, endMs: Date.now() + 60_000, matchers },
  ]);
  return series;
}

describe("text ingest endpoints", () => {
  let n: TestNode;
  before(async () => {
    n = await startTestNode();
  });
  after(async () => {
    await n.stop();
  });

  test("InfluxDB lines become measurement_field series with tags as labels; precision is honoured", async () => {
    const s = Math.floor(Date.now() / 1000) - 10;
    const body = [
      `cpu,host=a,region=eu usage_user=1.5,usage_system=2i ${s}`,
      `cpu,host=b usage_user=3 ${s + 1}`,
    ].join("\n");
    const res = await post(`${n.base}/api/v1/influxdb/write?precision=s`, body);
    assert.equal(res.status, 204, res.text);
    const user = await read(n.base, [{ type: "=", name: "__name__", value: "cpu_usage_user" }]);
    assert.deepEqual(
      user.map((x) => [x.labels.host, x.timesMs[0], x.values[0]]).sort(),
      [
        ["a", s * 1000, 1.5],
        ["b", (s + 1) * 1000, 3],
      ].sort(),
    );
    assert.equal(user.find((x) => x.labels.host === "a")?.labels.region, "eu");
    const system = await read(n.base, [{ type: "=", name: "__name__", value: "cpu_usage_system" }]);
    assert.deepEqual(system[0].values, [2]);
  });

  test("a bad Influx line is 400 naming the line; the good lines of the request are written", async () => {
    const s = Math.floor(Date.now() / 1000) - 5;
    const res = await post(
      `${n.base}/api/v1/influxdb/write?precision=s`,
      `mem free=1 ${s}\nmem free= ${s}\nmem used=4 ${s}`,
    );
    assert.equal(res.status, 400, res.text);
    assert.match(res.text, /line 2/);
    assert.equal(
      (await read(n.base, [{ type: "=", name: "__name__", value: "mem_free" }])).length,
      1,
    );
    assert.equal(
      (await read(n.base, [{ type: "=", name: "__name__", value: "mem_used" }])).length,
      1,
    );
    const badPrecision = await post(
      `${n.base}/api/v1/influxdb/write?precision=fortnight`,
      `mem free=1`,
    );
    assert.equal(badPrecision.status, 400);
    assert.match(badPrecision.text, /fortnight/);
    const empty = await post(`${n.base}/api/v1/influxdb/write`, "");
    assert.equal(empty.status, 400);
  });

  test("JSON write stores one sample; bad bodies are 400 naming the field", async () => {
    const t = Math.floor(Date.now() / 1000) - 3;
    const ok = await post(
      `${n.base}/api/v1/json/write`,
      JSON.stringify({
        tags: { __name__: "json_probe", host: "h1" },
        timestamp: String(t),
        value: 42.5,
      }),
    );
    assert.equal(ok.status, 200, ok.text);
    const got = await read(n.base, [{ type: "=", name: "__name__", value: "json_probe" }]);
    assert.deepEqual(
      [got[0].timesMs[0], got[0].values[0], got[0].labels.host],
      [t * 1000, 42.5, "h1"],
    );
    for (const [body, field] of [
      ["{", /JSON/],
      [JSON.stringify({ tags: { a: "b" }, timestamp: String(t) }), /value/],
      [JSON.stringify({ tags: { a: 1 }, timestamp: String(t), value: 1 }), /tags/],
      [JSON.stringify({ tags: { a: "b" }, timestamp: "yesterday", value: 1 }), /timestamp/],
    ] as const) {
      const res = await post(`${n.base}/api/v1/json/write`, body);
      assert.equal(res.status, 400, `${body}: ${res.text}`);
      assert.match(res.text, field);
    }
  });

  test("carbon lines over TCP are stored with the path's parts as __g0__, __g1__, …", async () => {
    const carbon = n.node.carbon;
    assert.ok(carbon !== null);
    const t = Math.floor(Date.now() / 1000) - 2;
    await new Promise<void>((resolve, reject) => {
      const socket = connect(carbon.address.port, "127.0.0.1", () => {
        socket.end(`servers.web1.cpu 12.5 ${t}\nservers.web2.cpu 7 ${t}\nbad..path 1 ${t}\n`);
      });
      socket.on("close", () => resolve());
      socket.on("error", reject);
    });
    const deadline = Date.now() + 10_000;
    let got: Awaited<ReturnType<typeof read>> = [];
    while (Date.now() < deadline) {
      await carbon.drain();
      got = await read(n.base, [{ type: "=", name: "__g0__", value: "servers" }]);
      if (got.length === 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(
      got.map((s) => [s.labels.__g1__, s.labels.__g2__, s.values[0], s.timesMs[0]]).sort(),
      [
        ["web1", "cpu", 12.5, t * 1000],
        ["web2", "cpu", 7, t * 1000],
      ],
    );
  });
});

describe("remote read", () => {
  let n: TestNode;
  before(async () => {
    n = await startTestNode((c) => {
      c.coordinator.remoteRead.maxSeries = 3;
    });
    const times = nowSeriesTimes(300, 100);
    const series = Array.from({ length: 3 }, (_, i) => ({
      labels: [
        ["__name__", "rr"],
        ["i", String(i)],
      ] as [string, string][],
      timesMs: times,
      values: times.map((_, k) => k * (i + 1) + 0.5),
    }));
    assert.equal((await remoteWrite(n.base, series)).status, 204);
    assert.equal(
      (
        await remoteWrite(n.base, [
          {
            labels: [
              ["__name__", "rr_extra"],
              ["i", "9"],
            ],
            timesMs: times,
            values: times,
          },
        ])
      ).status,
      204,
    );
  });
  after(async () => {
    await n.stop();
  });

  test("SAMPLES answers every query of the request, series sorted by labels, range ends included", async () => {
    const all = await read(n.base, [{ type: "=", name: "__name__", value: "rr" }]);
    assert.deepEqual(
      all.map((s) => s.labels.i),
      ["0", "1", "2"],
    );
    const t0 = all[0].timesMs[10];
    const t1 = all[0].timesMs[20];
    const [a, b] = await remoteRead(`${n.base}/api/v1/read`, [
      { startMs: t0, endMs: t1, matchers: [{ type: "=", name: "i", value: "1" }] },
      {
        startMs: t0,
        endMs: t1,
        matchers: [
          { type: "=~", name: "__name__", value: "rr.*" },
          { type: "!=", name: "i", value: "0" },
        ],
      },
    ]);
    assert.deepEqual(
      a.map((s) => `${s.labels.__name__}/${s.labels.i}`),
      ["rr/1"],
      "rr_extra has i=9",
    );
    assert.equal(a[0].timesMs.length, 11);
    assert.equal(a[0].timesMs[0], t0);
    assert.equal(a[0].timesMs[10], t1);
    assert.deepEqual(
      b.map((s) => `${s.labels.__name__}/${s.labels.i}`),
      ["rr/1", "rr/2", "rr_extra/9"],
    );
  });

  test("STREAMED_XOR_CHUNKS frames carry the same samples in XOR chunks of at most 120", async () => {
    const body = compressSync(
      encodeReadRequest(
        [
          {
            startMs: 0,
            endMs: Date.now() + 60_000,
            matchers: [{ type: "=", name: "__name__", value: "rr" }],
          },
        ],
        [1],
      ),
    );
    const res = await fetch(`${n.base}/api/v1/read`, {
      method: "POST",
      headers: { "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy" },
      body,
    });
    assert.equal(res.status, 200);
    assert.match(
      res.headers.get("content-type") ?? "",
      /application\/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse/,
    );
    const frames = readChunkedFrames(new Uint8Array(await res.arrayBuffer()));
    const plain = await read(n.base, [{ type: "=", name: "__name__", value: "rr" }]);
    const seen: { labels: Record<string, string>; times: number[]; values: number[] }[] = [];
    const it = new XorChunkIterator();
    for (const frame of frames) {
      assert.equal(frame.queryIndex, 0);
      for (const cs of frame.series) {
        const entry = {
          labels: Object.fromEntries(cs.labels),
          times: [] as number[],
          values: [] as number[],
        };
        for (const chunk of cs.chunks) {
          it.reset(chunk.data);
          let k = 0;
          while (it.next()) {
            entry.times.push(it.timeMs);
            entry.values.push(it.value);
            k++;
          }
          assert.ok(k <= 120 && k > 0);
          assert.equal(chunk.minTimeMs, entry.times[entry.times.length - k]);
          assert.equal(chunk.maxTimeMs, entry.times[entry.times.length - 1]);
        }
        seen.push(entry);
      }
    }
    assert.deepEqual(
      seen.map((s) => [s.labels.i, s.times, s.values]),
      plain.map((s) => [s.labels.i, s.timesMs, s.values]),
    );
  });

  test("past maxSeries the read is refused with 400 naming the limit, never truncated", async () => {
    const res = await fetch(`${n.base}/api/v1/read`, {
      method: "POST",
      headers: { "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy" },
      body: compressSync(
        encodeReadRequest([
          {
            startMs: 0,
            endMs: Date.now() + 60_000,
            matchers: [{ type: "=~", name: "__name__", value: "rr.*" }],
          },
        ]),
      ),
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /maxSeries = 3/);
  });

  test("a read accepting no response type this server answers is 400; the first supported one is used", async () => {
    const query = [
      {
        startMs: 0,
        endMs: Date.now() + 60_000,
        matchers: [{ type: "=" as const, name: "i", value: "0" }],
      },
    ];
    const h = { "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy" };
    const none = await post(
      `${n.base}/api/v1/read`,
      compressSync(encodeReadRequest(query, [7])),
      h,
    );
    assert.equal(none.status, 400, none.text);
    assert.match(none.text, /accepted_response_types/);
    const samplesFirst = await fetch(`${n.base}/api/v1/read`, {
      method: "POST",
      headers: h,
      body: compressSync(encodeReadRequest(query, [0, 1])),
    });
    assert.equal(samplesFirst.headers.get("content-type"), "application/x-protobuf");
    await samplesFirst.arrayBuffer();
  });

  test("garbage read requests and invalid matchers are 400", async () => {
    const h = { "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy" };
    assert.equal(
      (await post(`${n.base}/api/v1/read`, compressSync(Buffer.from([0x0a, 0x05, 0x01])), h))
        .status,
      400,
    );
    assert.equal((await post(`${n.base}/api/v1/read`, "zzz", h)).status, 400);
    const bad = await fetch(`${n.base}/api/v1/read`, {
      method: "POST",
      headers: h,
      body: compressSync(
        encodeReadRequest([
          { startMs: 0, endMs: 1, matchers: [{ type: "=~", name: "x", value: "(" }] },
        ]),
      ),
    });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /x/);
    void uncompressSync;
  });
});

describe("admin API and status endpoints", () => {
  let n: TestNode;
  before(async () => {
    n = await startTestNode();
  });
  after(async () => {
    await n.stop();
  });

  test("health, ready, metrics, routes; unknown routes are 404 and wrong methods 405", async () => {
    const health = await fetch(`${n.base}/health`);
    assert.equal(health.status, 200);
    assert.ok("uptime" in ((await health.json()) as object));
    const ready = await fetch(`${n.base}/ready`);
    assert.equal(ready.status, 200);
    const readyBody = (await ready.json()) as { readyWrites: { id: string }[] };
    assert.deepEqual(
      readyBody.readyWrites.map((x) => x.id),
      ["default"],
    );
    await remoteWrite(n.base, [
      { labels: [["__name__", "m"]], timesMs: nowSeriesTimes(1), values: [1] },
    ]);
    const metrics = await (await fetch(`${n.base}/metrics`)).text();
    for (const name of [
      "m3ts_coordinator_samples_received_total",
      "m3ts_coordinator_samples_written_total",
      "m3ts_coordinator_write_seconds_bucket",
      "m3ts_db_series",
      "m3ts_db_commitlog_queue_bytes",
      "m3ts_db_bootstrap_state 1",
    ]) {
      assert.ok(metrics.includes(name), name);
    }
    assert.match(metrics, /m3ts_coordinator_samples_written_total\{protocol="prometheus"\} [1-9]/);
    assert.equal((await fetch(`${n.base}/nope`)).status, 404);
    const wrong = await fetch(`${n.base}/api/v1/prom/remote/write`);
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get("allow"), "POST");
  });

  test("namespaces: list, add (409 when it exists, 400 naming a bad option), delete (404 when unknown)", async () => {
    const list = (await (await fetch(`${n.base}/api/v1/services/m3db/namespace`)).json()) as {
      registry: {
        namespaces: Record<string, { retentionOptions: { retentionPeriodNanos: string } }>;
      };
    };
    assert.equal(
      list.registry.namespaces.default.retentionOptions.retentionPeriodNanos,
      String(48 * 3600 * 1e9),
    );
    const add = await post(
      `${n.base}/api/v1/services/m3db/namespace`,
      JSON.stringify({
        name: "metrics_long",
        options: {
          retentionOptions: { retentionPeriodDuration: "720h", blockSizeDuration: "12h" },
          indexOptions: { enabled: true, blockSizeDuration: "12h" },
        },
      }),
    );
    assert.equal(add.status, 200, add.text);
    await n.node.settled();
    const created = n.node.db.listNamespaces().find((ns) => ns.name === "metrics_long");
    assert.equal(created?.options.retentionPeriodMs, 720 * 3600_000);
    const again = await post(
      `${n.base}/api/v1/services/m3db/namespace`,
      JSON.stringify({ name: "metrics_long", options: {} }),
    );
    assert.equal(again.status, 409, again.text);
    const bad = await post(
      `${n.base}/api/v1/services/m3db/namespace`,
      JSON.stringify({
        name: "bad_ns",
        options: { retentionOptions: { blockSizeDuration: "banana" } },
      }),
    );
    assert.equal(bad.status, 400, bad.text);
    assert.match(bad.text, /blockSize/);
    const del = await fetch(`${n.base}/api/v1/services/m3db/namespace/metrics_long`, {
      method: "DELETE",
    });
    assert.equal(del.status, 200);
    await n.node.settled();
    assert.equal(
      n.node.db.listNamespaces().some((ns) => ns.name === "metrics_long"),
      false,
    );
    const missing = await fetch(`${n.base}/api/v1/services/m3db/namespace/metrics_long`, {
      method: "DELETE",
    });
    assert.equal(missing.status, 404);
  });

  test("database/create makes a namespace and the local placement; placement init twice is 409", async () => {
    const res = await post(
      `${n.base}/api/v1/database/create`,
      JSON.stringify({ type: "local", namespaceName: "created", retentionTime: "12h" }),
    );
    assert.equal(res.status, 200, res.text);
    const body = JSON.parse(res.text) as {
      namespace: {
        registry: { namespaces: Record<string, { retentionOptions: { blockSizeNanos: string } }> };
      };
      placement: {
        placement: {
          instances: Record<string, { isolationGroup: string; zone: string }>;
          numShards: number;
        };
      };
    };
    assert.equal(
      body.namespace.registry.namespaces.created.retentionOptions.blockSizeNanos,
      String(30 * 60 * 1e9),
    );
    // The node applies the registry change on its own schedule.
    await n.node.settled();
    const created = n.node.db.listNamespaces().find((ns) => ns.name === "created");
    assert.equal(
      created?.options.coldWritesEnabled,
      true,
      "database/create namespaces take cold writes",
    );
    assert.equal(body.placement.placement.instances.m3db_local.isolationGroup, "local");
    assert.equal(body.placement.placement.instances.m3db_local.zone, "embedded");
    const get = await fetch(`${n.base}/api/v1/services/m3db/placement`);
    assert.equal(get.status, 200);
    const again = await post(
      `${n.base}/api/v1/database/create`,
      JSON.stringify({ type: "local", namespaceName: "created" }),
    );
    assert.equal(again.status, 400);
    assert.match(again.text, /already exists/);
    const init = await post(
      `${n.base}/api/v1/services/m3db/placement/init`,
      JSON.stringify({
        numShards: 64,
        replicationFactor: 1,
        instances: [{ id: "m3db_local", endpoint: "127.0.0.1:9000" }],
      }),
    );
    assert.equal(init.status, 409, init.text);
    const missingName = await post(
      `${n.base}/api/v1/database/create`,
      JSON.stringify({ type: "local" }),
    );
    assert.equal(missingName.status, 400);
    assert.match(missingName.text, /namespaceName/);
  });
});

describe("fuzzed bodies on every endpoint", () => {
  test("garbage and truncated bodies get a 4xx, never a 5xx, and accepted data stays", async () => {
    const n = await startTestNode();
    try {
      const times = nowSeriesTimes(3);
      assert.equal(
        (
          await remoteWrite(n.base, [
            { labels: [["__name__", "keep"]], timesMs: times, values: [1, 2, 3] },
          ])
        ).status,
        204,
      );
      const s = Math.floor(Date.now() / 1000) - 1;
      const validInflux = Buffer.from(`fz,host=a v=1 ${s}\nfz,host=b v=2 ${s}\n`);
      const validJson = Buffer.from(
        JSON.stringify({ tags: { __name__: "fzj" }, timestamp: String(s), value: 1 }),
      );
      const validRead = compressSync(
        encodeReadRequest([
          {
            startMs: 0,
            endMs: Date.now(),
            matchers: [{ type: "=", name: "__name__", value: "keep" }],
          },
        ]),
      );
      const h = { "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy" };
      const mutate = (valid: Buffer) =>
        fc.oneof(
          fc.nat({ max: valid.length }).map((cut) => valid.subarray(0, cut)),
          fc
            .tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 255 }))
            .map(([at, x]) => {
              const copy = Buffer.from(valid);
              copy[at] ^= x;
              return copy;
            }),
          fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)),
        );
      const endpoints: [string, Buffer, Record<string, string>][] = [
        ["/api/v1/influxdb/write?precision=s", validInflux, {}],
        ["/api/v1/json/write", validJson, {}],
        ["/api/v1/read", validRead, h],
      ];
      for (const [path, valid, headers] of endpoints) {
        await fc.assert(
          fc.asyncProperty(mutate(valid), async (body) => {
            const res = await post(`${n.base}${path}`, body, headers);
            assert.ok(res.status < 500, `${path}: ${res.status} ${res.text}`);
          }),
          { numRuns: 60 },
        );
      }
      const got = await read(n.base, [{ type: "=", name: "__name__", value: "keep" }]);
      assert.deepEqual(got[0].values, [1, 2, 3]);
    } finally {
      await n.stop();
    }
  });
});
