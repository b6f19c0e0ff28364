// PromQL answers of `m3ts start` against those of a real Prometheus (the
// Debian package) on the same data: Prometheus scrapes a target served here
// every second and remote-writes every sample to m3ts; then each query runs as
// a range query on both and the results must agree (labels, timestamps, and
// values within 1e-9 relative). Query times sit half a second off the scrape
// phase, so no sample falls on a window's edge, where Prometheus 2 (closed on
// the left) and 3 (open) differ. Loopback only; the test stops what it started.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ensureDebianPackages } from "../support/debian-packages.js";
import { type M3tsProcess, startM3ts, stopChild } from "../support/processes.js";
import { startPrometheus, until } from "../support/prometheus.js";

/** Every family of function and operator, over the target's counters, gauges, histogram and info metric. */
export const QUERIES = [
  "e2e_requests_total",
  "up",
  "rate(e2e_requests_total[10s])",
  "irate(e2e_requests_total[10s])",
  "increase(e2e_requests_total[15s])",
  "sum by (method) (rate(e2e_requests_total[10s]))",
  "sum without (code) (rate(e2e_requests_total[10s]))",
  "avg(e2e_temperature_celsius)",
  "min by (room) (e2e_temperature_celsius)",
  "max(e2e_temperature_celsius)",
  "count(e2e_requests_total)",
  "group by (method) (e2e_requests_total)",
  "stddev(e2e_temperature_celsius)",
  "stdvar(e2e_temperature_celsius)",
  "topk(2, e2e_temperature_celsius)",
  "bottomk(1, rate(e2e_requests_total[10s]))",
  "quantile(0.9, e2e_temperature_celsius)",
  'count_values("v", e2e_build_info)',
  "histogram_quantile(0.9, sum by (le) (rate(e2e_latency_seconds_bucket[10s])))",
  "histogram_quantile(0.5, rate(e2e_latency_seconds_bucket[10s]))",
  "rate(e2e_latency_seconds_sum[10s]) / rate(e2e_latency_seconds_count[10s])",
  "e2e_requests_total + on(method) group_left(version) e2e_build_info",
  "e2e_build_info * on(method) group_right e2e_requests_total",
  "e2e_temperature_celsius > 20",
  "e2e_temperature_celsius > bool 20",
  '20 < e2e_temperature_celsius{room="a"}',
  'e2e_requests_total and on(method) e2e_build_info{version="1.2.3"}',
  'e2e_temperature_celsius{room="a"} or e2e_temperature_celsius{room="b"}',
  'e2e_requests_total unless on(code) e2e_requests_total{code="200"}',
  "delta(e2e_temperature_celsius[10s])",
  "idelta(e2e_temperature_celsius[10s])",
  "deriv(e2e_temperature_celsius[15s])",
  "predict_linear(e2e_temperature_celsius[15s], 60)",
  "holt_winters(e2e_temperature_celsius[20s], 0.5, 0.3)",
  "resets(e2e_requests_total[30s])",
  "changes(e2e_temperature_celsius[20s])",
  "avg_over_time(e2e_temperature_celsius[10s])",
  "min_over_time(e2e_temperature_celsius[10s]) - max_over_time(e2e_temperature_celsius[10s])",
  "sum_over_time(e2e_temperature_celsius[10s]) / count_over_time(e2e_temperature_celsius[10s])",
  "stddev_over_time(e2e_temperature_celsius[20s])",
  "stdvar_over_time(e2e_temperature_celsius[20s])",
  "quantile_over_time(0.75, e2e_temperature_celsius[20s])",
  "last_over_time(e2e_temperature_celsius[10s])",
  "present_over_time(e2e_temperature_celsius[10s])",
  'absent(e2e_nothing{job="x"})',
  "absent_over_time(e2e_temperature_celsius[10s])",
  "clamp(e2e_temperature_celsius, 19.5, 21) + clamp_min(e2e_temperature_celsius, 20) - clamp_max(e2e_temperature_celsius, 20)",
  "abs(-e2e_temperature_celsius) + ceil(e2e_temperature_celsius) + floor(e2e_temperature_celsius)",
  "round(e2e_temperature_celsius, 0.5)",
  "sqrt(e2e_temperature_celsius) + ln(e2e_temperature_celsius) + log2(e2e_temperature_celsius) + log10(e2e_temperature_celsius)",
  "exp(e2e_temperature_celsius / 10) * sgn(e2e_temperature_celsius - 20)",
  "sin(e2e_temperature_celsius) + cos(e2e_temperature_celsius) + atan(e2e_temperature_celsius)",
  "e2e_temperature_celsius atan2 on(room) e2e_temperature_celsius",
  'label_replace(e2e_temperature_celsius, "r", "room-$1", "room", "(.*)")',
  'label_join(e2e_requests_total, "mc", "-", "method", "code")',
  "max_over_time(rate(e2e_requests_total[10s])[30s:5s])",
  "e2e_temperature_celsius offset 10s",
  "rate(e2e_requests_total[10s] offset 5s)",
  "time() - timestamp(e2e_temperature_celsius)",
  "scalar(sum(e2e_temperature_celsius)) * 2",
  "vector(time()) + day_of_month() + hour() + minute()",
  "-e2e_temperature_celsius ^ 2 + e2e_temperature_celsius % 3",
  "count by (le) (e2e_latency_seconds_bucket)",
  "sum(rate(e2e_latency_seconds_bucket[10s])) by (le)",
  "e2e_temperature_celsius @ end()",
];

const BUCKETS = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "+Inf"];

/** The target's metrics: counters (one resets), gauges, a histogram per handler and an info metric. */
function exposition(scrape: number): string {
  const wobble = (k: number) => Math.sin(scrape * 0.37 + k) * 1.7 + Math.cos(scrape * 0.11 * k);
  const lines = ["# TYPE e2e_requests_total counter"];
  const counters: [string, string, number][] = [
    ["get", "200", 3.5],
    ["get", "500", 0.25],
    ["post", "200", 1.75],
    ["post", "404", 0.5],
  ];
  counters.forEach(([method, code, per], k) => {
    const resetAt = method === "post" && code === "200" ? 30 : Number.POSITIVE_INFINITY;
    const n = scrape < resetAt ? scrape : scrape - resetAt;
    const v = n * per + Math.floor(n * n * 0.01 * (k + 1)) + 0.125 * k;
    lines.push(`e2e_requests_total{method="${method}",code="${code}"} ${v}`);
  });
  lines.push("# TYPE e2e_temperature_celsius gauge");
  ["a", "b", "c"].forEach((room, k) => {
    lines.push(`e2e_temperature_celsius{room="${room}"} ${(20 + wobble(k + 1)).toFixed(3)}`);
  });
  lines.push("# TYPE e2e_latency_seconds histogram");
  for (const [h, handler] of ["/a", "/b"].entries()) {
    let cum = 0;
    BUCKETS.forEach((le, i) => {
      cum +=
        Math.floor(scrape * (i + 1) * (h + 1) * 0.7) % 97 === 0 ? 0 : scrape * (3 + i * (h + 2));
      lines.push(`e2e_latency_seconds_bucket{handler="${handler}",le="${le}"} ${cum}`);
    });
    lines.push(`e2e_latency_seconds_sum{handler="${handler}"} ${(cum * 0.0731).toFixed(4)}`);
    lines.push(`e2e_latency_seconds_count{handler="${handler}"} ${cum}`);
  }
  lines.push("# TYPE e2e_build_info gauge");
  lines.push('e2e_build_info{method="get",version="1.2.3"} 1');
  lines.push('e2e_build_info{method="post",version="1.2.4"} 1');
  return `${lines.join("\n")}\n`;
}

interface ApiSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

async function queryRange(base: string, query: string, start: number, end: number, step: number) {
  const params = new URLSearchParams({
    query,
    start: String(start),
    end: String(end),
    step: String(step),
  });
  const res = await fetch(`${base}/api/v1/query_range`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: params,
  });
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { result: ApiSeries[] };
  };
  if (body.status !== "success") throw new Error(`${base}: ${query}: ${res.status} ${body.error}`);
  return body.data?.result ?? [];
}

function close(a: string, b: string): boolean {
  if (a === b) return true;
  const x = Number(a);
  const y = Number(b);
  if (Number.isNaN(x) || Number.isNaN(y)) return false;
  return Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
}

/** Where two results differ, in words; null when they agree. */
export function difference(expected: ApiSeries[], got: ApiSeries[]): string | null {
  const key = (m: Record<string, string>) => JSON.stringify(Object.entries(m).sort());
  const want = new Map(expected.map((s) => [key(s.metric), s.values]));
  const have = new Map(got.map((s) => [key(s.metric), s.values]));
  for (const k of want.keys()) if (!have.has(k)) return `missing series ${k}`;
  for (const k of have.keys()) if (!want.has(k)) return `unexpected series ${k}`;
  for (const [k, w] of want) {
    const h = have.get(k) as [number, string][];
    if (h.length !== w.length) return `${k}: ${h.length} points, expected ${w.length}`;
    for (let i = 0; i < w.length; i++) {
      if (h[i][0] !== w[i][0] || !close(h[i][1], w[i][1])) {
        return `${k}: point ${i} is ${JSON.stringify(h[i])}, expected ${JSON.stringify(w[i])}`;
      }
    }
  }
  return null;
}

test("range queries over scraped data agree with Prometheus", { timeout: 240_000 }, async (t) => {
  assert.ok(QUERIES.length >= 40);
  ensureDebianPackages(["prometheus"]);
  const dir = mkdtempSync(join(tmpdir(), "m3ts-promql-e2e-"));
  let scrapes = 0;
  const target: Server = createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    scrapes++;
    res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" });
    res.end(exposition(scrapes));
  });
  await new Promise<void>((r) => target.listen(0, "127.0.0.1", () => r()));
  const targetPort = (target.address() as { port: number }).port;
  let m3ts: M3tsProcess | null = null;
  const started: ChildProcess[] = [];
  try {
    m3ts = await startM3ts(join(dir, "m3ts"));
    const prometheus = await startPrometheus(
      join(dir, "prometheus"),
      [
        "global:",
        "  scrape_interval: 1s",
        "scrape_configs:",
        "  - job_name: e2e",
        "    static_configs:",
        `      - targets: ["127.0.0.1:${targetPort}"]`,
        "remote_write:",
        `  - url: ${m3ts.base}/api/v1/prom/remote/write`,
        "    queue_config:",
        "      batch_send_deadline: 500ms",
        "      min_backoff: 50ms",
        "      max_backoff: 1s",
      ].join("\n"),
    );
    started.push(prometheus.child);
    await until("60 scrapes", 110_000, async () => scrapes >= 60);

    // The scrape phase (the milliseconds of every sample's timestamp), and query
    // times half a second away from it.
    const instant = await fetch(`${prometheus.base}/api/v1/query?query=timestamp(up)`);
    const [{ value }] = (
      (await instant.json()) as { data: { result: { value: [number, string] }[] } }
    ).data.result;
    const phaseMs = Math.round(Number(value[1]) * 1000) % 1000;
    const endMs = Math.floor(Date.now() / 1000) * 1000 - 3000 + ((phaseMs + 500) % 1000);
    const end = endMs / 1000;
    const start = end - 20;

    // Wait for remote write to bring m3ts every sample up to the end.
    const countQuery = "count_over_time(up[2m])";
    const expectedCount = await queryRange(prometheus.base, countQuery, end, end, 1);
    await until("m3ts holding every sample up to the end", 30_000, async () => {
      const got = await queryRange(m3ts?.base as string, countQuery, end, end, 1).catch(() => []);
      return difference(expectedCount, got) === null;
    });

    const failures: string[] = [];
    for (const q of QUERIES) {
      const expected = await queryRange(prometheus.base, q, start, end, 1);
      let got: ApiSeries[];
      try {
        got = await queryRange(m3ts.base, q, start, end, 1);
      } catch (e) {
        failures.push(`${q}: ${(e as Error).message}`);
        continue;
      }
      const d = difference(expected, got);
      if (d !== null) failures.push(`${q}: ${d}`);
    }
    t.diagnostic(`${QUERIES.length - failures.length} of ${QUERIES.length} queries agree`);
    assert.deepEqual(failures, []);
  } finally {
    for (const c of started) await stopChild(c, "SIGTERM", 10_000);
    if (m3ts !== null) await stopChild(m3ts.child, "SIGTERM", 10_000);
    await new Promise<void>((r) => {
      target.close(() => r());
      target.closeAllConnections();
    });
    rmSync(dir, { recursive: true, force: true });
  }
});
