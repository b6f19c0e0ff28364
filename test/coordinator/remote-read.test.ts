// Remote read: both response types (SAMPLES and streamed XOR chunks), the
// series limit, response type negotiation and bad requests.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { compressSync } from "snappy";
import type { Client, FetchLimits } from "../../src/client/index.js";
import { XorChunkIterator } from "../../src/codec/index.js";
import { readChunkedFrames } from "../../src/coordinator/index.js";
import { encodeReadRequest, remoteRead } from "../support/remote-read-client.js";
import {
  nowSeriesTimes,
  post,
  readRecent,
  remoteWrite,
  startTestNode,
  type TestNode,
} from "./support.js";

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
    const all = await readRecent(n.base, [{ type: "=", name: "__name__", value: "rr" }]);
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
    const plain = await readRecent(n.base, [{ type: "=", name: "__name__", value: "rr" }]);
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
  });
});

test("M3's read consistency and equal-timestamp headers reach the client's fetch; a bad value is 400", async () => {
  const asked: FetchLimits[] = [];
  const n = await startTestNode(undefined, {
    wrapClient: (inner) =>
      new Proxy(inner, {
        get(target, prop) {
          const v = Reflect.get(target, prop, target);
          if (prop !== "fetchTagged") return typeof v === "function" ? v.bind(target) : v;
          return (...args: Parameters<Client["fetchTagged"]>) => {
            asked.push(args[4]);
            return target.fetchTagged(...args);
          };
        },
      }),
  });
  try {
    const body = compressSync(
      encodeReadRequest([
        { startMs: 0, endMs: 1, matchers: [{ type: "=", name: "i", value: "0" }] },
      ]),
    );
    const h = { "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy" };
    const ok = await post(`${n.base}/api/v1/read`, body, {
      ...h,
      "M3-Read-Consistency-Level": "all",
      "M3-Iterate-Equal-Timestamp-Strategy": "iterate_lowest_value",
    });
    assert.equal(ok.status, 200, ok.text);
    const plain = await post(`${n.base}/api/v1/read`, body, h);
    assert.equal(plain.status, 200, plain.text);
    assert.equal(asked.length, 2);
    assert.equal(asked[0].readConsistency, "all");
    assert.equal(asked[0].equalTimestampStrategy, "iterate_lowest_value");
    assert.equal(asked[1].readConsistency, undefined);
    const bad = await post(`${n.base}/api/v1/read`, body, {
      ...h,
      "M3-Read-Consistency-Level": "most",
    });
    assert.equal(bad.status, 400);
    assert.equal(
      JSON.parse(bad.text).error,
      'invalid header "M3-Read-Consistency-Level": "most" is not one of one, unstrict_majority, majority, unstrict_all, all',
    );
    assert.equal(asked.length, 2);
  } finally {
    await n.stop();
  }
});
