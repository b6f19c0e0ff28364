// Backfill through `m3ts start` into a cold-writes namespace while the tick
// runs every 100 ms: hours-old samples from four concurrent senders, plus
// brand-new series whose first write races the tick. Every acknowledged
// sample must read back exactly (time and value bits), and again after a
// SIGTERM and restart on the same data directory.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { compressSync } from "snappy";
import { encodeWriteRequest, type TestSeries } from "../../src/coordinator/index.js";
import { freeLoopbackPort, type M3tsProcess, startM3ts, stopChild } from "../support/processes.js";
import { remoteRead } from "../support/remote-read-client.js";

const HOUR_MS = 3_600_000;
const STEP_MS = 10_000;
const SENDERS = 4;
/** Backfilled series: realistic label sets, several metric names. */
const SERIES = 800;
/** Backfilled span, ending this long ago (outside bufferPast, inside retention). */
const SPAN_MS = 1.5 * HOUR_MS;
const END_AGO_MS = 5 * HOUR_MS;
/** Samples per backfill request (series × consecutive steps), as a Prometheus WAL resend. */
const SERIES_PER_REQUEST = 100;
const STEPS_PER_REQUEST = 20;
/** Brand-new series: each request carries only series never seen before. */
const NEW_SERIES_REQUESTS = 60;
const NEW_SERIES_PER_REQUEST = 100;
const NEW_SERIES_SAMPLES = 3;
const MAX_RETRIES = 20;

const METRICS = [
  "http_requests_total",
  "http_request_duration_seconds_sum",
  "process_resident_memory_bytes",
  "node_cpu_seconds_total",
];
const METHODS = ["GET", "POST", "PUT", "DELETE"];
const CODES = ["200", "404", "500", "503"];

const YAML = [
  "db:",
  "  tickInterval: 100ms",
  "  snapshotInterval: 1s",
  "namespaces:",
  "  - name: default",
  "    retention: 48h",
  "    blockSize: 2h",
  "    coldWritesEnabled: true",
  "    index:",
  "      enabled: true",
  "      blockSize: 2h",
].join("\n");

function backfillLabels(s: number): [string, string][] {
  return [
    ["__name__", METRICS[s % METRICS.length]],
    ["job", `api-${s % 7}`],
    ["instance", `10.0.${(s >> 4) % 256}.${s % 16}:9100`],
    ["method", METHODS[(s >> 2) % METHODS.length]],
    ["code", CODES[(s >> 3) % CODES.length]],
    ["series", String(s)],
  ];
}

/** A value that is not round and differs per series and time, so a mix-up cannot pass. */
function valueAt(s: number, timeMs: number): number {
  return ((s * 7919 + timeMs / STEP_MS) % 100_003) * 1.000123 + s / 1024;
}

function bitsOf(v: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  return view.getBigUint64(0);
}

interface Request {
  series: TestSeries[];
}

test("backfilled and brand-new series racing a 100ms tick read back exactly, before and after a restart", {
  timeout: 120_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "m3ts-backfill-"));
  const port = await freeLoopbackPort();
  const endMs = Math.floor((Date.now() - END_AGO_MS) / STEP_MS) * STEP_MS;
  const startMs = endMs - SPAN_MS;
  const steps = SPAN_MS / STEP_MS;

  // Requests in the order a WAL resend would send them: time chunk by time
  // chunk, each chunk split by series; a brand-new-series request every few.
  const queue: Request[] = [];
  let newSeriesId = 0;
  const newRequest = (): Request => {
    const series: TestSeries[] = [];
    for (let i = 0; i < NEW_SERIES_PER_REQUEST; i++) {
      const id = newSeriesId++;
      const timesMs = Array.from(
        { length: NEW_SERIES_SAMPLES },
        (_, k) => startMs + ((id + k) % steps) * STEP_MS,
      ).sort((a, b) => a - b);
      series.push({
        labels: [
          ["__name__", "backfill_new_series"],
          ["pod", `pod-${id}`],
          ["namespace", `team-${id % 13}`],
        ],
        timesMs,
        values: timesMs.map((tm) => valueAt(100_000 + id, tm)),
      });
    }
    return { series };
  };
  const backfillRequests: Request[] = [];
  for (let step = 0; step < steps; step += STEPS_PER_REQUEST) {
    for (let first = 0; first < SERIES; first += SERIES_PER_REQUEST) {
      const series: TestSeries[] = [];
      for (let s = first; s < Math.min(SERIES, first + SERIES_PER_REQUEST); s++) {
        const timesMs: number[] = [];
        for (let k = step; k < Math.min(steps, step + STEPS_PER_REQUEST); k++)
          timesMs.push(startMs + k * STEP_MS);
        series.push({
          labels: backfillLabels(s),
          timesMs,
          values: timesMs.map((tm) => valueAt(s, tm)),
        });
      }
      backfillRequests.push({ series });
    }
  }
  const every = Math.max(1, Math.floor(backfillRequests.length / NEW_SERIES_REQUESTS));
  for (let i = 0; i < backfillRequests.length; i++) {
    queue.push(backfillRequests[i]);
    if (i % every === 0 && newSeriesId < NEW_SERIES_REQUESTS * NEW_SERIES_PER_REQUEST)
      queue.push(newRequest());
  }

  /** Acknowledged samples: series key → time → value bits. */
  const acked = new Map<string, Map<number, bigint>>();
  const keyOf = (labels: Record<string, string>) =>
    labels.__name__ === "backfill_new_series" ? `new/${labels.pod}` : `old/${labels.series}`;
  const keyOfPairs = (labels: [string, string][]) => keyOf(Object.fromEntries(labels));
  let ackedSamples = 0;
  let retried503 = 0;

  const send = async (node: M3tsProcess, req: Request) => {
    const body = compressSync(encodeWriteRequest(req.series));
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${node.base}/api/v1/prom/remote/write`, {
        method: "POST",
        headers: { "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy" },
        body,
      });
      const text = await res.text();
      if (res.status === 503 && attempt < MAX_RETRIES) {
        // Prometheus retries a 5xx with backoff; so does this sender.
        retried503++;
        await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
        continue;
      }
      assert.ok(
        res.status === 204 || res.status === 200,
        `remote write of ${req.series.length} series answered ${res.status}: ${text.slice(0, 500)}`,
      );
      for (const s of req.series) {
        const key = keyOfPairs(s.labels);
        let m = acked.get(key);
        if (m === undefined) {
          m = new Map();
          acked.set(key, m);
        }
        for (let i = 0; i < s.timesMs.length; i++) m.set(s.timesMs[i], bitsOf(s.values[i]));
        ackedSamples += s.timesMs.length;
      }
      return;
    }
  };

  const verify = async (node: M3tsProcess, when: string) => {
    const names = [...METRICS, "backfill_new_series"];
    const answers = await remoteRead(
      `${node.base}/api/v1/read`,
      names.map((name) => ({
        startMs: startMs - 1,
        endMs: endMs + 1,
        matchers: [{ type: "=" as const, name: "__name__", value: name }],
      })),
    );
    const stored = new Map<string, Map<number, bigint>>();
    for (const series of answers) {
      for (const s of series) {
        const m = new Map<number, bigint>();
        for (let i = 0; i < s.timesMs.length; i++) m.set(s.timesMs[i], s.valueBits[i]);
        stored.set(keyOf(s.labels), m);
      }
    }
    let missing = 0;
    let wrong = 0;
    const missingSeries = new Set<string>();
    const examples: string[] = [];
    for (const [key, samples] of acked) {
      const got = stored.get(key);
      for (const [tm, bits] of samples) {
        const g = got?.get(tm);
        if (g === undefined) {
          missing++;
          missingSeries.add(key);
          if (examples.length < 5) examples.push(`${key}@${tm} missing`);
        } else if (g !== bits) {
          wrong++;
          if (examples.length < 5)
            examples.push(`${key}@${tm} ${g.toString(16)}≠${bits.toString(16)}`);
        }
      }
    }
    assert.equal(
      missing + wrong,
      0,
      `${when}: of ${ackedSamples} acknowledged samples, ${missing} missing (in ${missingSeries.size} series) and ${wrong} with other bits; e.g. ${examples.join(", ")}`,
    );
    assert.equal(stored.size, acked.size, `${when}: series read back vs acknowledged`);
  };

  let node: M3tsProcess | null = null;
  try {
    node = await startM3ts(dir, { port, yaml: YAML });
    const began = Date.now();
    let next = 0;
    const running = node;
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (next < queue.length) await send(running, queue[next++]);
      }),
    );
    t.diagnostic(
      `${queue.length} requests, ${ackedSamples} samples in ${acked.size} series acknowledged in ${Date.now() - began} ms; ${retried503} 503s retried`,
    );
    // Let ticks run over the written buffers (flushes, snapshots, removals) before reading.
    await new Promise((r) => setTimeout(r, 1500));
    await verify(node, "before restart");
    const code = await stopChild(node.child, "SIGTERM", 30_000);
    assert.equal(code, 0, `SIGTERM should stop m3ts with exit 0\n${node.log().slice(-2000)}`);
    node = await startM3ts(dir, { port, yaml: YAML });
    await verify(node, "after restart");
  } finally {
    if (node !== null) await stopChild(node.child, "SIGTERM", 30_000);
    rmSync(dir, { recursive: true, force: true });
  }
});
