// The text ingest endpoints: InfluxDB line protocol, M3's JSON write and
// Graphite carbon over TCP, each read back through remote read.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { post, readRecent, startTestNode, type TestNode } from "./support.js";

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
    const user = await readRecent(n.base, [
      { type: "=", name: "__name__", value: "cpu_usage_user" },
    ]);
    assert.deepEqual(
      user.map((x) => [x.labels.host, x.timesMs[0], x.values[0]]).sort(),
      [
        ["a", s * 1000, 1.5],
        ["b", (s + 1) * 1000, 3],
      ].sort(),
    );
    assert.equal(user.find((x) => x.labels.host === "a")?.labels.region, "eu");
    const system = await readRecent(n.base, [
      { type: "=", name: "__name__", value: "cpu_usage_system" },
    ]);
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
      (await readRecent(n.base, [{ type: "=", name: "__name__", value: "mem_free" }])).length,
      1,
    );
    assert.equal(
      (await readRecent(n.base, [{ type: "=", name: "__name__", value: "mem_used" }])).length,
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
    const got = await readRecent(n.base, [{ type: "=", name: "__name__", value: "json_probe" }]);
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
    let got: Awaited<ReturnType<typeof readRecent>> = [];
    while (Date.now() < deadline) {
      await carbon.drain();
      got = await readRecent(n.base, [{ type: "=", name: "__g0__", value: "servers" }]);
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
