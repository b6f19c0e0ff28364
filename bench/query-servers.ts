// The two servers of bench:query: `m3ts start` and the Debian `prometheus`
// with its remote write receiver, each started fresh on loopback under its
// own directory; loading them with bench/query-load.ts's windows; and the
// waits that bring each to the state a server would be in after serving the
// whole span (m3ts: every block past bufferPast flushed by its own tick;
// Prometheus: its head compacted into blocks down to at most 1.5 block
// ranges, as its own compactor leaves it). Every wait is bounded.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readdirSync, writeFileSync } from "node:fs";
import { Agent } from "node:http";
import { join } from "node:path";
import { eachBounded } from "../src/x/index.js";
import { ExternalToolError } from "../test/support/debian-packages.js";
import { M3TS_BIN, waitForOk, writeM3tsConfig } from "../test/support/processes.js";
import { exitedEarly, freeLoopbackPort, readTail, sleep, stopProcess } from "./external-tools.js";
import type { Backfill } from "./query-load.js";
import { postWrite } from "./remote-write-post.js";

const LIMITS = {
  readyMs: 60_000,
  stopMs: 60_000,
  /** Remote write requests in flight at once while loading. */
  loadConcurrency: 4,
  retryPauseMs: 50,
  pollMs: 500,
  /** m3ts: tick passes that must end after the load, the last with no new flush. */
  settleTicks: 2,
  settleMaxMs: 4 * 60_000,
  /** Prometheus: compaction state unchanged this long. */
  compactStableMs: 5_000,
  /** Prometheus's head block range (2 h); it compacts once its head spans 1.5 of them. */
  headRangeMs: 7_200_000,
} as const;

/** A running server of the bench. */
export interface BenchServer {
  name: "m3ts" | "prometheus";
  child: ChildProcess;
  base: string;
  writeUrl: string;
  logPath: string;
}

/**
 * Starts `m3ts start` with the shipped defaults (namespace "default": 2 h
 * blocks, cold writes on); `nodeArgs` go to its Node.js (e.g. --cpu-prof).
 */
export async function startM3tsServer(dir: string, nodeArgs: string[]): Promise<BenchServer> {
  mkdirSync(dir, { recursive: true });
  const port = await freeLoopbackPort();
  const config = writeM3tsConfig(dir, port, "");
  const logPath = join(dir, "m3ts.log");
  const log = openSync(logPath, "w");
  const child = spawn(process.execPath, [...nodeArgs, M3TS_BIN, "start", "--config", config], {
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForOk(`${base}/ready`, child, LIMITS.readyMs);
  } catch (e) {
    await stopProcess(child, LIMITS.stopMs);
    throw new Error(`m3ts: ${(e as Error).message}; log:\n${readTail(logPath)}`);
  }
  return { name: "m3ts", child, base, writeUrl: `${base}/api/v1/prom/remote/write`, logPath };
}

/** Starts `prometheus` with no scrape jobs and the remote write receiver on. */
export async function startPrometheusServer(dir: string): Promise<BenchServer> {
  mkdirSync(dir, { recursive: true });
  const port = await freeLoopbackPort();
  const configPath = join(dir, "prometheus.yml");
  writeFileSync(configPath, "global:\n  scrape_interval: 1m\n");
  const logPath = join(dir, "prometheus.log");
  const log = openSync(logPath, "w");
  const child = spawn(
    "prometheus",
    [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${join(dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--web.enable-remote-write-receiver",
      "--log.level=warn",
    ],
    { stdio: ["ignore", log, log] },
  );
  closeSync(log);
  const base = `http://127.0.0.1:${port}`;
  const deadline = performance.now() + LIMITS.readyMs;
  for (;;) {
    const early = exitedEarly(child, "prometheus", logPath);
    if (early !== null) throw early;
    try {
      const res = await fetch(`${base}/-/ready`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (performance.now() > deadline) {
      await stopProcess(child, LIMITS.stopMs);
      throw new ExternalToolError({
        tool: "prometheus",
        action: "start",
        detail: `not ready after ${LIMITS.readyMs} ms; log:\n${readTail(logPath)}`,
      });
    }
    await sleep(100);
  }
  return { name: "prometheus", child, base, writeUrl: `${base}/api/v1/write`, logPath };
}

export async function stopServer(server: BenchServer): Promise<void> {
  await stopProcess(server.child, LIMITS.stopMs);
}

/** Sends one request until it is accepted; 429 and 503 are retried, as Prometheus retries them. */
export async function writeAccepted(agent: Agent, url: URL, body: Buffer): Promise<void> {
  for (;;) {
    const res = await postWrite(agent, url, body);
    if (res.status >= 200 && res.status < 300) return;
    if (res.status !== 429 && res.status !== 503) {
      throw new Error(`remote write to ${url} refused: ${res.status} ${res.text.slice(0, 500)}`);
    }
    await sleep(LIMITS.retryPauseMs);
  }
}

/** Sends every window, one after another; returns the seconds it took. */
export async function load(
  server: Pick<BenchServer, "writeUrl">,
  backfill: Backfill,
): Promise<number> {
  const url = new URL(server.writeUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: LIMITS.loadConcurrency });
  const t0 = performance.now();
  try {
    for (const window of backfill.windows) {
      await eachBounded(window, LIMITS.loadConcurrency, (body) => writeAccepted(agent, url, body));
    }
  } finally {
    agent.destroy();
  }
  return (performance.now() - t0) / 1000;
}

/** Sum of one metric's samples in Prometheus text exposition (0 when absent). */
export function metricSum(text: string, name: string, labelFilter = ""): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== " " && rest[0] !== "{") continue;
    if (labelFilter !== "" && !rest.includes(labelFilter)) continue;
    const v = Number(rest.slice(rest.lastIndexOf(" ") + 1));
    if (Number.isFinite(v)) sum += v;
  }
  return sum;
}

async function metricsText(server: Pick<BenchServer, "base">): Promise<string> {
  const res = await fetch(`${server.base}/metrics`, { signal: AbortSignal.timeout(30_000) });
  return res.text();
}

export interface M3tsSettled {
  warmFlushes: number;
  coldFlushes: number;
  seconds: number;
}

/**
 * Waits until m3ts's own tick has run LIMITS.settleTicks passes since now
 * and the last of them flushed nothing new: then every block the server
 * would have flushed by itself is in filesets, and the rest in buffers.
 */
export async function settleM3ts(
  server: Pick<BenchServer, "child" | "base" | "logPath">,
): Promise<M3tsSettled> {
  const t0 = performance.now();
  const first = await metricsText(server);
  const startPasses = metricSum(first, "m3ts_db_tick_passes_total");
  let lastPasses = startPasses;
  let lastFlushes = metricSum(first, "m3ts_db_flushes_total");
  for (;;) {
    await sleep(LIMITS.pollMs);
    const early = exitedEarly(server.child, "m3ts", server.logPath);
    if (early !== null) throw early;
    const text = await metricsText(server);
    const failures = metricSum(text, "m3ts_db_flush_failures_total");
    if (failures > 0) {
      throw new Error(`m3ts: ${failures} flushes failed; log:\n${readTail(server.logPath)}`);
    }
    const passes = metricSum(text, "m3ts_db_tick_passes_total");
    if (passes === lastPasses) continue;
    const flushes = metricSum(text, "m3ts_db_flushes_total");
    const quiet = flushes === lastFlushes;
    lastPasses = passes;
    lastFlushes = flushes;
    if (passes - startPasses >= LIMITS.settleTicks && quiet) {
      return {
        warmFlushes: metricSum(text, "m3ts_db_flushes_total", 'type="warm"'),
        coldFlushes: metricSum(text, "m3ts_db_flushes_total", 'type="cold"'),
        seconds: (performance.now() - t0) / 1000,
      };
    }
    if (performance.now() - t0 > LIMITS.settleMaxMs) {
      throw new Error(`m3ts: flushes still going after ${LIMITS.settleMaxMs} ms`);
    }
  }
}

export interface PrometheusSettled {
  blocks: number;
  headSpanMs: number;
  compactions: number;
  seconds: number;
}

/**
 * Waits until Prometheus's head spans at most 1.5 block ranges (what its
 * compactor leaves: it compacts the head's oldest range once the head spans
 * more) and its blocks and compaction count have stayed unchanged for
 * LIMITS.compactStableMs.
 */
export async function settlePrometheus(
  server: BenchServer,
  tsdbDir: string,
): Promise<PrometheusSettled> {
  const t0 = performance.now();
  let lastState = "";
  let stableSince = performance.now();
  for (;;) {
    const early = exitedEarly(server.child, "prometheus", server.logPath);
    if (early !== null) throw early;
    const text = await metricsText(server);
    const failed = metricSum(text, "prometheus_tsdb_compactions_failed_total");
    if (failed > 0) {
      throw new Error(
        `prometheus: ${failed} compactions failed; log:\n${readTail(server.logPath)}`,
      );
    }
    const headSpanMs =
      metricSum(text, "prometheus_tsdb_head_max_time") -
      metricSum(text, "prometheus_tsdb_head_min_time");
    const compactions = metricSum(text, "prometheus_tsdb_compactions_total");
    const blocks = readdirSync(tsdbDir).filter((n) => /^[0-9A-Z]{26}$/.test(n));
    const state = `${compactions} ${blocks.sort().join(",")}`;
    if (state !== lastState) {
      lastState = state;
      stableSince = performance.now();
    } else if (
      headSpanMs <= 1.5 * LIMITS.headRangeMs &&
      performance.now() - stableSince >= LIMITS.compactStableMs
    ) {
      return {
        blocks: blocks.length,
        headSpanMs,
        compactions,
        seconds: (performance.now() - t0) / 1000,
      };
    }
    if (performance.now() - t0 > LIMITS.settleMaxMs) {
      throw new Error(`prometheus: compaction still going after ${LIMITS.settleMaxMs} ms`);
    }
    await sleep(LIMITS.pollMs);
  }
}
