// Remote write 1.0 and 2.0 through the HTTP endpoint: what is acknowledged
// reads back exactly; refusals name the series and reason; bad bodies are
// 4xx and never disturb what was accepted before.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import fc from "fast-check";
import { compressSync } from "snappy";
import type { Client, WriteBatch, WriteResult } from "../../src/client/index.js";
import { encodeWriteRequest, type TestSeries } from "../../src/coordinator/index.js";
import { newMatcher } from "../../src/index/index.js";
import { remoteRead } from "../support/remote-read-client.js";
import {
  nowSeriesTimes,
  post,
  remoteWrite,
  startTestNode,
  startWrappedNode,
  type TestNode,
} from "./support.js";

const STALE = new DataView(new ArrayBuffer(8));
STALE.setBigUint64(0, 0x7ff0000000000002n);
const STALE_NAN = STALE.getFloat64(0);

/**
 * The client the coordinator is given in the overload test: every
 * writeBatch waits at a gate until the test opens it, then goes on to the
 * real client. Everything else passes straight through.
 */
class GatedClient implements Client {
  /** writeBatch calls so far; until the gate opens, each of them is waiting at it. */
  writes = 0;
  private readonly inner: Client;
  private readonly gate: Promise<void>;
  private release: () => void = () => {};

  constructor(inner: Client) {
    this.inner = inner;
    this.gate = new Promise((resolve) => {
      this.release = resolve;
    });
  }

  /** Lets every held write, and every later one, through to the real client. */
  open(): void {
    this.release();
  }

  async writeBatch(namespace: string, batch: WriteBatch): Promise<WriteResult> {
    this.writes++;
    await this.gate;
    return this.inner.writeBatch(namespace, batch);
  }

  fetchTagged(...args: Parameters<Client["fetchTagged"]>): ReturnType<Client["fetchTagged"]> {
    return this.inner.fetchTagged(...args);
  }

  seriesTags(...args: Parameters<Client["seriesTags"]>): ReturnType<Client["seriesTags"]> {
    return this.inner.seriesTags(...args);
  }

  labelNames(...args: Parameters<Client["labelNames"]>): ReturnType<Client["labelNames"]> {
    return this.inner.labelNames(...args);
  }

  labelValues(...args: Parameters<Client["labelValues"]>): ReturnType<Client["labelValues"]> {
    return this.inner.labelValues(...args);
  }

  namespaces(): ReturnType<Client["namespaces"]> {
    return this.inner.namespaces();
  }

  state(): ReturnType<Client["state"]> {
    return this.inner.state();
  }

  failureReason(): string | null {
    return this.inner.failureReason();
  }
}

async function read(base: string, name: string, sinceMs = 3_600_000) {
  const [series] = await remoteRead(`${base}/api/v1/read`, [
    {
      startMs: Date.now() - sinceMs,
      endMs: Date.now() + 60_000,
      matchers: [{ type: "=", name: "__name__", value: name }],
    },
  ]);
  return series;
}

describe("remote write endpoint", () => {
  let n: TestNode;
  before(async () => {
    n = await startTestNode();
  });
  after(async () => {
    await n.stop();
  });

  test("1.0 samples on both paths are acknowledged with 204 and read back exactly, stale markers bit for bit", async () => {
    const times = nowSeriesTimes(4);
    const series: TestSeries[] = [
      {
        labels: [
          ["__name__", "rw_one"],
          ["job", "a"],
        ],
        timesMs: times,
        // A typed array: V8 may quiet a signalling NaN kept in a plain array.
        values: Float64Array.of(1.5, -2, 1e300, STALE_NAN),
      },
      {
        labels: [
          ["__name__", "rw_one"],
          ["job", "b"],
        ],
        timesMs: times.slice(0, 2),
        values: [0, 7],
      },
    ];
    const r1 = await remoteWrite(n.base, series.slice(0, 1));
    assert.equal(r1.status, 204, r1.text);
    const r2 = await remoteWrite(n.base, series.slice(1), { path: "/api/v1/write" });
    assert.equal(r2.status, 204, r2.text);
    const got = await read(n.base, "rw_one");
    assert.equal(got.length, 2);
    const a = got.find((s) => s.labels.job === "a");
    assert.deepEqual(a?.timesMs, times);
    assert.deepEqual(a?.values.slice(0, 3), [1.5, -2, 1e300]);
    assert.equal(a?.valueBits[3], 0x7ff0000000000002n);
    assert.deepEqual(got.find((s) => s.labels.job === "b")?.values, [0, 7]);
  });

  test("2.0 requests are decoded from their symbol table and answer the written-samples header", async () => {
    const times = nowSeriesTimes(3);
    const res = await remoteWrite(
      n.base,
      [
        {
          labels: [
            ["__name__", "rw_two"],
            ["zone", "eu"],
          ],
          timesMs: times,
          values: [3, 4, 5],
        },
      ],
      { version: "2.0" },
    );
    assert.equal(res.status, 204, res.text);
    assert.equal(res.headers.get("x-prometheus-remote-write-samples-written"), "3");
    const got = await read(n.base, "rw_two");
    assert.deepEqual(got[0].values, [3, 4, 5]);
    assert.equal(got[0].labels.zone, "eu");
  });

  test("invalid series are refused with 400 naming the first, and the valid ones of the request are written", async () => {
    const times = nowSeriesTimes(2);
    const cases: { labels: [string, string][]; reason: RegExp }[] = [
      {
        labels: [
          ["__name__", "rw_bad"],
          ["", "x"],
        ],
        reason: /label name is empty/,
      },
      {
        labels: [
          ["__name__", "rw_bad"],
          ["bad-char", "x"],
        ],
        reason: /"bad-char" is invalid/,
      },
      {
        labels: [
          ["__name__", "rw_bad"],
          ["d", "1"],
          ["d", "2"],
        ],
        reason: /duplicate tag name "d"/,
      },
    ];
    for (const [i, { labels, reason }] of cases.entries()) {
      const good: TestSeries = {
        labels: [
          ["__name__", "rw_mixed"],
          ["case", String(i)],
        ],
        timesMs: times,
        values: [i, i + 1],
      };
      const res = await remoteWrite(n.base, [good, { labels, timesMs: times, values: [9, 9] }]);
      assert.equal(res.status, 400, res.text);
      const body = JSON.parse(res.text) as { status: string; error: string };
      assert.equal(body.status, "error");
      assert.match(body.error, reason);
      assert.match(body.error, /__name__="rw_bad"/);
      assert.match(body.error, /2 of 4 samples rejected/);
    }
    const got = await read(n.base, "rw_mixed");
    assert.equal(got.length, cases.length);
    for (const s of got)
      assert.deepEqual(s.values, [Number(s.labels.case), Number(s.labels.case) + 1]);
    assert.equal((await read(n.base, "rw_bad")).length, 0);
  });

  test("samples outside the write window are 400 naming the series and the window; the others are written", async () => {
    const now = Date.now();
    const res = await remoteWrite(n.base, [
      {
        labels: [
          ["__name__", "rw_window"],
          ["w", "ok"],
        ],
        timesMs: [now - 1000],
        values: [1],
      },
      {
        labels: [
          ["__name__", "rw_window"],
          ["w", "old"],
        ],
        timesMs: [now - 3 * 86_400_000],
        values: [2],
      },
    ]);
    assert.equal(res.status, 400, res.text);
    assert.match(res.text, /w=\\"old\\"/);
    assert.match(res.text, /older than|retention|bufferPast/);
    const got = await read(n.base, "rw_window");
    assert.deepEqual(
      got.map((s) => s.labels.w),
      ["ok"],
    );
  });

  test("with the default namespace a sample hours older than bufferPast but within retention is 204 and reads back", async () => {
    // The default namespace has cold writes on: a sender resending a backlog
    // after an outage must not get a 400 it would not retry.
    const threeHoursAgo = Date.now() - 3 * 3_600_000;
    const res = await remoteWrite(n.base, [
      { labels: [["__name__", "rw_backlog"]], timesMs: [threeHoursAgo], values: [42.5] },
    ]);
    assert.equal(res.status, 204, res.text);
    const got = await read(n.base, "rw_backlog", 4 * 3_600_000);
    assert.equal(got.length, 1, "the backlog series should be stored");
    assert.deepEqual(got[0].timesMs, [threeHoursAgo]);
    assert.deepEqual(got[0].values, [42.5]);
  });

  test("bodies that are not snappy or not protobuf are 400; an unknown content type is 415; a large body 413", async () => {
    const h = { "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy" };
    const notSnappy = await post(`${n.base}/api/v1/prom/remote/write`, "hello, not snappy", h);
    assert.equal(notSnappy.status, 400, notSnappy.text);
    assert.match(notSnappy.text, /snappy/);
    const notProto = await post(
      `${n.base}/api/v1/prom/remote/write`,
      compressSync(Buffer.from([0x0a, 0xff, 0xff, 0x01])),
      h,
    );
    assert.equal(notProto.status, 400, notProto.text);
    assert.match(notProto.text, /remote write request/);
    const wrongType = await post(
      `${n.base}/api/v1/prom/remote/write`,
      compressSync(Buffer.alloc(0)),
      {
        ...h,
        "Content-Type": "application/json",
      },
    );
    assert.equal(wrongType.status, 415, wrongType.text);
    assert.match(wrongType.text, /application\/json/);
    const big = new Uint8Array(40 << 20);
    const tooLarge = await post(`${n.base}/api/v1/prom/remote/write`, big, h);
    assert.equal(tooLarge.status, 413, tooLarge.text);
    assert.match(tooLarge.text, /maxBodyBytes/);
  });

  test("fuzz: truncated and corrupted bodies never get a 5xx and never disturb accepted data", async () => {
    const times = nowSeriesTimes(5);
    const base: TestSeries[] = [
      {
        labels: [
          ["__name__", "rw_fuzz"],
          ["k", "v"],
        ],
        timesMs: times,
        values: [1, 2, 3, 4, 5],
      },
    ];
    assert.equal((await remoteWrite(n.base, base)).status, 204);
    const valid = encodeWriteRequest(
      [
        {
          labels: [
            ["__name__", "rw_fuzz_other"],
            ["a", "b"],
          ],
          timesMs: times,
          values: [6, 7, 8, 9, 10],
        },
      ],
      { version: "1.0" },
    );
    const h = { "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy" };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.nat({ max: valid.length }).map((cut) => compressSync(valid.subarray(0, cut))),
          fc
            .tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 255 }))
            .map(([at, x]) => {
              const copy = Uint8Array.from(valid);
              copy[at] ^= x;
              return compressSync(copy);
            }),
          fc.uint8Array({ maxLength: 200 }),
        ),
        async (body) => {
          const res = await post(`${n.base}/api/v1/prom/remote/write`, body, h);
          // 413 when a garbage snappy header claims a decoded size past the limit.
          assert.ok([204, 400, 413].includes(res.status), `status ${res.status}: ${res.text}`);
        },
      ),
      { numRuns: 150 },
    );
    const got = await read(n.base, "rw_fuzz");
    assert.equal(got.length, 1);
    assert.deepEqual(got[0].values, [1, 2, 3, 4, 5]);
  });

  test("M3-Metrics-Type and M3-Storage-Policy are checked as M3 defines them", async () => {
    const s: TestSeries[] = [
      { labels: [["__name__", "rw_hdr"]], timesMs: nowSeriesTimes(1), values: [1] },
    ];
    const unagg = await remoteWrite(n.base, s, { headers: { "M3-Metrics-Type": "unaggregated" } });
    assert.equal(unagg.status, 204, unagg.text);
    const bad = await remoteWrite(n.base, s, { headers: { "M3-Metrics-Type": "rollup" } });
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.text).error, /M3-Metrics-Type "rollup"/);
    const noPolicy = await remoteWrite(n.base, s, { headers: { "M3-Metrics-Type": "aggregated" } });
    assert.equal(noPolicy.status, 400);
    assert.match(noPolicy.text, /M3-Storage-Policy is required/);
    const badPolicy = await remoteWrite(n.base, s, {
      headers: { "M3-Metrics-Type": "aggregated", "M3-Storage-Policy": "1m" },
    });
    assert.equal(badPolicy.status, 400);
    assert.match(badPolicy.text, /resolution:retention/);
    const unknown = await remoteWrite(n.base, s, {
      headers: { "M3-Metrics-Type": "aggregated", "M3-Storage-Policy": "1m:48h" },
    });
    assert.equal(unknown.status, 400);
    assert.match(unknown.text, /no aggregated namespace has storage policy 1m:48h/);
  });
});

describe("remote write overload", () => {
  test("past maxPendingWriteSamples a request is refused with 503 naming the bound", async () => {
    const n = await startTestNode((c) => {
      c.coordinator.maxPendingWriteSamples = 10;
    });
    try {
      const times = nowSeriesTimes(11);
      const tooMany = await remoteWrite(n.base, [
        { labels: [["__name__", "ov"]], timesMs: times, values: times.map((_, i) => i) },
      ]);
      assert.equal(tooMany.status, 503, tooMany.text);
      assert.match(tooMany.text, /maxPendingWriteSamples = 10/);
      assert.deepEqual(await read(n.base, "ov"), []);
      // At the bound itself the request is taken.
      const fits = await remoteWrite(n.base, [
        { labels: [["__name__", "ov"]], timesMs: times.slice(0, 10), values: times.slice(0, 10) },
      ]);
      assert.equal(fits.status, 204, fits.text);
      const [got] = await read(n.base, "ov");
      assert.deepEqual(got.timesMs, times.slice(0, 10));
    } finally {
      await n.stop();
    }
  });

  test("past maxInflightWriteRequests the requests over the limit get 503 with Retry-After while the held ones are written, and only theirs", async () => {
    const LIMIT = 2;
    const SENT = 5;
    let gated!: GatedClient;
    const n = await startWrappedNode(
      (inner) => {
        gated = new GatedClient(inner);
        return gated;
      },
      (c) => {
        c.coordinator.maxInflightWriteRequests = LIMIT;
      },
    );
    const t = nowSeriesTimes(1)[0];
    const sample = (i: number): TestSeries[] => [
      {
        labels: [
          ["__name__", "inflight"],
          ["i", String(i)],
        ],
        timesMs: [t],
        values: [i],
      },
    ];
    const answers: ({ status: number; text: string; headers: Headers } | null)[] =
      Array(SENT).fill(null);
    const requests = Array.from({ length: SENT }, (_, i) =>
      remoteWrite(n.base, sample(i)).then((r) => {
        answers[i] = r;
        return r;
      }),
    );
    try {
      // The first LIMIT requests to arrive wait in writeBatch; every other
      // one must be answered while they wait.
      const answered = () => answers.filter((a) => a !== null).length;
      const deadline = performance.now() + 30_000;
      while (gated.writes < LIMIT || answered() < SENT - LIMIT) {
        assert.ok(
          gated.writes <= LIMIT,
          `${gated.writes} writes reached the client at once; maxInflightWriteRequests is ${LIMIT}`,
        );
        assert.ok(
          performance.now() < deadline,
          `after 30 s ${gated.writes} writes are held and ${answered()} of ${SENT} requests answered`,
        );
        await delay(5);
      }
      const refused = answers.flatMap((a, i) => (a === null ? [] : [i]));
      const held = answers.flatMap((a, i) => (a === null ? [i] : []));
      assert.equal(refused.length, SENT - LIMIT);
      assert.equal(gated.writes, LIMIT, "a refused request reached the client");
      for (const i of refused) {
        const a = answers[i] as { status: number; text: string; headers: Headers };
        assert.equal(a.status, 503, `request ${i}: ${a.text}`);
        assert.match(a.headers.get("retry-after") ?? "", /^[1-9][0-9]*$/, `request ${i}`);
        assert.match(a.text, new RegExp(`maxInflightWriteRequests = ${LIMIT}\\)`));
      }

      gated.open();
      for (const i of held) {
        const r = await requests[i];
        assert.equal(r.status, 204, `held request ${i}: ${r.text}`);
      }
      // The held requests gave their places back: the next one is taken.
      const after = await remoteWrite(n.base, sample(SENT));
      assert.equal(after.status, 204, after.text);

      const acked = [...held, SENT].map(String).sort();
      const got = await read(n.base, "inflight");
      assert.deepEqual(got.map((s) => s.labels.i).sort(), acked);
      for (const s of got) {
        assert.deepEqual(s.timesMs, [t]);
        assert.deepEqual(s.values, [Number(s.labels.i)]);
      }
      // Read through the real client too: no refused sample is in the database.
      const direct = await n.inner.fetchTagged(
        "default",
        [newMatcher("=", "__name__", "inflight")],
        t - 1,
        t + 1,
        { maxSeries: 0, maxDocsScanned: 0, maxSamples: 0 },
      );
      assert.deepEqual(direct.map((s) => s.tags.find(([name]) => name === "i")?.[1]).sort(), acked);
    } finally {
      gated.open();
      await Promise.allSettled(requests);
      await n.stop();
    }
  });

  test("a node that stopped taking writes answers 503 (retryable), never 400, and /ready says why", async () => {
    const n = await startTestNode();
    try {
      const times = nowSeriesTimes(3);
      const series = [
        {
          labels: [["__name__", "failing"]] as [string, string][],
          timesMs: times,
          values: [1, 2, 3],
        },
      ];
      assert.equal((await remoteWrite(n.base, series)).status, 204);
      // The commit log's file closed under it fails the next write in the OS (EBADF), as a failing disk would.
      const internals = n.node.db as unknown as {
        log: { file: { fh: { close(): Promise<void> } } };
      };
      await internals.log.file.fh.close();
      const later = [{ ...series[0], timesMs: times.map((t) => t + 500) }];
      const failed = await remoteWrite(n.base, later);
      assert.equal(failed.status, 503, failed.text);
      assert.match(failed.text, /commit log/);
      const again = await remoteWrite(n.base, later);
      assert.equal(again.status, 503, again.text);
      assert.match(again.text, /stopped taking writes/);
      const ready = await fetch(`${n.base}/ready`);
      assert.equal(ready.status, 503);
      const body = (await ready.json()) as { state: string; reason: string };
      assert.equal(body.state, "failed");
      assert.match(body.reason, /commit log failed/);
    } finally {
      await n.stop().catch(() => {});
    }
  });
});
