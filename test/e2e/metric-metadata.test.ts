// A real Prometheus (Debian package `prometheus`) scrapes a target exposing a counter, a
// gauge and a histogram with their HELP and TYPE lines, and sends their metadata with
// remote write (1.0, metadata_config at a 1 s interval). Once m3ts has stopped, its
// metadata file holds, per family, what Prometheus's own /api/v1/metadata shows.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { MetadataPersistence } from "../../src/query/metadata/index.js";
import { silentLogger } from "../../src/x/index.js";
import { ensureDebianPackages } from "../support/debian-packages.js";
import { type M3tsProcess, startM3ts, stopChild } from "../support/processes.js";
import { type PrometheusProcess, startPrometheus, until } from "../support/prometheus.js";

const EXPOSITION = [
  "# HELP e2e_requests_total Requests served, by code.",
  "# TYPE e2e_requests_total counter",
  'e2e_requests_total{code="200"} 7',
  'e2e_requests_total{code="500"} 1',
  "# HELP e2e_temperature_celsius Temperature of the probe.",
  "# TYPE e2e_temperature_celsius gauge",
  "e2e_temperature_celsius 21.5",
  "# HELP e2e_latency_seconds Latency of the probe's answers.",
  "# TYPE e2e_latency_seconds histogram",
  'e2e_latency_seconds_bucket{le="0.1"} 1',
  'e2e_latency_seconds_bucket{le="+Inf"} 2',
  "e2e_latency_seconds_sum 0.3",
  "e2e_latency_seconds_count 2",
  "",
].join("\n");

const FAMILIES = ["e2e_latency_seconds", "e2e_requests_total", "e2e_temperature_celsius"];

type Entry = { type: string; help: string; unit: string };

test("Prometheus's remote write metadata lands in m3ts as Prometheus itself shows it", {
  timeout: 120_000,
}, async () => {
  ensureDebianPackages(["prometheus"]);
  const dir = mkdtempSync(join(tmpdir(), "m3ts-metadata-e2e-"));
  const target: Server = createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" });
    res.end(EXPOSITION);
  });
  await new Promise<void>((r) => target.listen(0, "127.0.0.1", () => r()));
  const targetPort = (target.address() as { port: number }).port;
  let m3ts: M3tsProcess | null = null;
  let prometheus: PrometheusProcess | null = null;
  try {
    m3ts = await startM3ts(join(dir, "m3ts"));
    const base = m3ts.base;
    prometheus = await startPrometheus(
      join(dir, "prometheus"),
      [
        "global:",
        "  scrape_interval: 1s",
        "scrape_configs:",
        "  - job_name: probe",
        "    static_configs:",
        `      - targets: ["127.0.0.1:${targetPort}"]`,
        "remote_write:",
        `  - url: ${base}/api/v1/prom/remote/write`,
        "    queue_config:",
        "      batch_send_deadline: 500ms",
        "      min_backoff: 50ms",
        "      max_backoff: 1s",
        "    metadata_config:",
        "      send: true",
        "      send_interval: 1s",
      ].join("\n"),
    );
    const promBase = prometheus.base;
    // What Prometheus shows from its own scrapes: the reference.
    let reference: Record<string, Entry[]> = {};
    await until("Prometheus's own metadata of the three families", 30_000, async () => {
      const res = await fetch(`${promBase}/api/v1/metadata`);
      reference = ((await res.json()) as { data: Record<string, Entry[]> }).data;
      return FAMILIES.every((f) => reference[f] !== undefined);
    });
    await until("m3ts holding the metadata of the three families", 30_000, async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      const line = text.split("\n").find((l) => l.startsWith("m3ts_metadata_metrics "));
      return line !== undefined && Number(line.split(" ")[1]) >= FAMILIES.length;
    });
    assert.equal(await stopChild(prometheus.child, "SIGTERM", 30_000), 0);
    assert.equal(await stopChild(m3ts.child, "SIGTERM", 30_000), 0);

    const saved = await MetadataPersistence.open({
      dir: join(dir, "m3ts", "data"),
      logger: silentLogger,
      saveIntervalMs: 0,
    });
    const held = Object.fromEntries(
      saved.store.names().map((f) => [f, saved.store.get(f).map((e) => ({ ...e }))]),
    );
    for (const f of FAMILIES) assert.deepEqual(held[f], reference[f], f);
    assert.deepEqual(held.e2e_latency_seconds, [
      { type: "histogram", help: "Latency of the probe's answers.", unit: "" },
    ]);
    assert.equal(held.e2e_requests_total?.[0]?.type, "counter");
    assert.equal(held.e2e_temperature_celsius?.[0]?.type, "gauge");
    await saved.close();
  } finally {
    if (prometheus !== null) await stopChild(prometheus.child, "SIGTERM", 30_000);
    if (m3ts !== null) await stopChild(m3ts.child, "SIGTERM", 30_000);
    target.closeAllConnections();
    target.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
