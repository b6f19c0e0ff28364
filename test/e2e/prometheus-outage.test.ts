// A real Prometheus remote-writing to `m3ts start` while m3ts is down for
// 90 s: once m3ts is back and Prometheus's queue has caught up, every sample
// Prometheus holds in its own TSDB for the chosen series is in m3ts exactly,
// including those scraped during the outage (older than bufferPast when they
// arrive, so they need the cold writes of the default namespace).
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ensureDebianPackages } from "../support/debian-packages.js";
import { freeLoopbackPort, type M3tsProcess, startM3ts, stopChild } from "../support/processes.js";
import { startPrometheus, until } from "../support/prometheus.js";
import { remoteRead } from "../support/remote-read-client.js";

const OUTAGE_MS = 90_000;
const FLOW_BEFORE_MS = 8_000;
const STALE_NAN_BITS = 0x7ff0000000000002n;
/** The compared series: both targets' up and scrape duration (the m3ts target's up is 0 during the outage). */
const NAMES = "up|scrape_duration_seconds|scrape_samples_scraped";

// bufferPast 20s stands in for the default 10m, so a 90 s outage leaves a
// backlog older than it; cold writes as in m3ts start's default namespace.
const M3TS_YAML = [
  "namespaces:",
  "  - name: default",
  "    retention: 48h",
  "    blockSize: 2h",
  "    bufferPast: 20s",
  "    coldWritesEnabled: true",
].join("\n");

interface PromQueryAnswer {
  status: string;
  data: {
    resultType: string;
    result: {
      metric: Record<string, string>;
      value?: [number, string];
      values?: [number, string][];
    }[];
  };
}

async function query(base: string, promql: string, timeS?: number): Promise<PromQueryAnswer> {
  const at = timeS === undefined ? "" : `&time=${timeS}`;
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}${at}`);
  const body = (await res.json()) as PromQueryAnswer;
  assert.equal(res.status, 200, `Prometheus query ${promql}: ${JSON.stringify(body)}`);
  return body;
}

/** The one value of an instant query that has a single answer, or NaN when it has none. */
async function scalar(base: string, promql: string): Promise<number> {
  const body = await query(base, promql);
  return body.data.result.length === 1 ? Number(body.data.result[0].value?.[1]) : Number.NaN;
}

const seriesKey = (labels: Record<string, string>) =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

test("samples Prometheus scraped while m3ts was down reach m3ts once it is back", {
  timeout: 240_000,
}, async (t) => {
  ensureDebianPackages(["prometheus"]);
  const dir = mkdtempSync(join(tmpdir(), "m3ts-outage-"));
  const port = await freeLoopbackPort();
  let m3ts: M3tsProcess | null = null;
  let prometheus: ChildProcess | null = null;
  try {
    m3ts = await startM3ts(join(dir, "m3ts"), { port, yaml: M3TS_YAML });
    const scraper = await startPrometheus(
      join(dir, "prometheus"),
      [
        "global:",
        "  scrape_interval: 1s",
        "scrape_configs:",
        "  - job_name: prometheus",
        "    static_configs:",
        "      - targets: ['127.0.0.1:PROM_PORT']",
        "  - job_name: m3ts",
        "    static_configs:",
        `      - targets: ["127.0.0.1:${port}"]`,
        "remote_write:",
        `  - url: ${m3ts.base}/api/v1/prom/remote/write`,
        "    queue_config:",
        "      batch_send_deadline: 500ms",
        "      min_backoff: 50ms",
        "      max_backoff: 1s",
      ].join("\n"),
      { selfTarget: "PROM_PORT" },
    );
    prometheus = scraper.child;
    const firstS = Date.now() / 1000;
    await new Promise((r) => setTimeout(r, FLOW_BEFORE_MS));

    assert.equal(await stopChild(m3ts.child, "SIGTERM", 30_000), 0, "m3ts should stop with exit 0");
    const outageFromS = Date.now() / 1000;
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const outageToS = Date.now() / 1000;
    m3ts = await startM3ts(join(dir, "m3ts"), { port, yaml: M3TS_YAML });

    // Samples up to cutS are compared; wait until Prometheus has sent past it.
    await new Promise((r) => setTimeout(r, 3_000));
    const cutS = Math.floor(Date.now() / 1000);
    await until("Prometheus's remote-write queue to send past the cut", 60_000, async () => {
      const sent = await scalar(
        scraper.base,
        "max(prometheus_remote_storage_queue_highest_sent_timestamp_seconds)",
      );
      return sent > cutS + 1;
    });

    const inPrometheus = await query(scraper.base, `{__name__=~"${NAMES}"}[5m]`, cutS);
    assert.equal(inPrometheus.data.resultType, "matrix");
    const [inM3ts] = await remoteRead(`${m3ts.base}/api/v1/read`, [
      {
        startMs: Math.floor(firstS * 1000) - 60_000,
        endMs: cutS * 1000,
        matchers: [{ type: "=~", name: "__name__", value: NAMES }],
      },
    ]);
    const stored = new Map<string, Map<number, number>>();
    for (const s of inM3ts) {
      const m = new Map<number, number>();
      for (let i = 0; i < s.timesMs.length; i++) {
        if (s.valueBits[i] !== STALE_NAN_BITS) m.set(s.timesMs[i], s.values[i]);
      }
      stored.set(seriesKey(s.labels), m);
    }

    let compared = 0;
    let duringOutage = 0;
    const missing: string[] = [];
    const wrong: string[] = [];
    for (const r of inPrometheus.data.result) {
      const got = stored.get(seriesKey(r.metric));
      for (const [timeS, text] of r.values ?? []) {
        const timeMs = Math.round(timeS * 1000);
        compared++;
        if (timeS > outageFromS && timeS < outageToS) duringOutage++;
        const v = got?.get(timeMs);
        const where = `${r.metric.__name__}{job="${r.metric.job}"}@${timeMs}`;
        if (v === undefined) missing.push(where);
        else if (v !== Number(text)) wrong.push(`${where}: ${v} ≠ ${text}`);
      }
    }
    // Prometheus kept scraping itself during the outage: those samples are the point of the test.
    assert.ok(
      duringOutage >= OUTAGE_MS / 1000,
      `only ${duringOutage} samples in Prometheus fall in the outage; the test would prove nothing`,
    );
    assert.equal(
      missing.length,
      0,
      `${missing.length} of ${compared} samples Prometheus holds are missing in m3ts, e.g. ${missing.slice(0, 5).join(", ")}\n--- prometheus log ---\n${scraper.log().slice(-2000)}`,
    );
    assert.equal(wrong.length, 0, `values differ: ${wrong.slice(0, 5).join(", ")}`);
    t.diagnostic(
      `${compared} samples compared over ${inPrometheus.data.result.length} series, ${duringOutage} scraped during the ${OUTAGE_MS / 1000}s outage`,
    );
  } finally {
    if (prometheus !== null) await stopChild(prometheus, "SIGTERM", 30_000);
    if (m3ts !== null) await stopChild(m3ts.child, "SIGTERM", 30_000);
    rmSync(dir, { recursive: true, force: true });
  }
});
