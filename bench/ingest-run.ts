// The running part of bench:ingest, shared with bench:cluster: the rounds
// of bench/ingest-load.ts sent by one sender per Prometheus shard against a
// server's remote write URL, timed, with the CPU and peak RSS of the
// server's processes over the timed part; the fresh load those rounds come
// from; and `m3ts start` launched for it.
//
// Ordering: each sender is one of Prometheus's shards. It owns a fixed set of
// series and sends its requests one at a time, in round order, so a request
// of round r + 1 for a series leaves only after round r's was acknowledged
// (per-shard ordering; shards do not wait for each other). 429 and 503 are
// retried after a short pause, as Prometheus retries them.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { M3tsError } from "../src/x/index.js";
import {
  freeLoopbackPort,
  M3TS_BIN,
  stopChild,
  waitForOk,
  writeM3tsConfig,
} from "../test/support/processes.js";
import { buildLoad, type Load } from "./ingest-load.js";
import { cpuSeconds, rssMb } from "./process-usage.js";
import { postWrite } from "./remote-write-post.js";

export const INGEST_LIMITS = {
  /** Rate the default round count is sized for: the top of what the three servers reach here. */
  plannedSamplesPerS: 800_000,
  /** Pre-encoded samples held at once (about 25 bytes each compressed). */
  maxLoadSamples: 24_000_000,
  /** Span of the rounds' timestamps, ending `newestAgeMs` before the load is built. */
  spanMs: 240_000,
  newestAgeMs: 10_000,
  /**
   * m3ts accepts warm writes up to bufferPast (10 minutes by default) old;
   * a run needs its oldest sample younger than this, less the run's length,
   * else the load is built again with fresh times. Prometheus and
   * VictoriaMetrics, started empty, take any age.
   */
  m3tsMaxAgeMs: 9 * 60_000,
  readyMs: 60_000,
  stopMs: 30_000,
  retryPauseMs: 50,
  rssSampleEveryMs: 200,
  logTailChars: 3_000,
} as const;

/** A bench flag was missing or held a value the bench cannot use. */
export class IngestBenchArgsError extends M3tsError {
  constructor(message: string) {
    super("M3TS_ERR_BENCH_ARGS", message);
  }
}

/** The integer value of `flag`, at least `min`. */
export function positiveInt(flag: string, v: string | undefined, min: number): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n < min) {
    throw new IngestBenchArgsError(`${flag}: expected an integer >= ${min}, got ${String(v)}`);
  }
  return n;
}

/** The load's flags bench:ingest and bench:cluster share. */
export interface LoadArgs {
  series: number;
  seconds: number;
  senders: number;
  reps: number;
  strategy: "wait" | "behind";
  rounds: number;
  warmupRounds: number;
}

/** The flags applyLoadFlag takes, for the benches' "allowed" lists. */
export const LOAD_FLAGS = "--series --seconds --senders --reps --rounds --warmup-rounds --strategy";

/** Sets `a` from one of the shared load flags; false when `flag` is not one of them. */
export function applyLoadFlag(a: LoadArgs, flag: string, v: string | undefined): boolean {
  switch (flag) {
    case "--series":
      a.series = positiveInt(flag, v, 1);
      return true;
    case "--seconds":
      a.seconds = positiveInt(flag, v, 1);
      return true;
    case "--senders":
      a.senders = positiveInt(flag, v, 1);
      return true;
    case "--reps":
      a.reps = positiveInt(flag, v, 1);
      return true;
    case "--rounds":
      a.rounds = positiveInt(flag, v, 2);
      return true;
    case "--warmup-rounds":
      a.warmupRounds = positiveInt(flag, v, 0);
      return true;
    case "--strategy":
      if (v !== "wait" && v !== "behind") {
        throw new IngestBenchArgsError(`--strategy: expected wait or behind, got ${String(v)}`);
      }
      a.strategy = v;
      return true;
    default:
      return false;
  }
}

/** One server process the bench started, with the directory it owns. */
export interface IngestServer {
  child: ChildProcess;
  writeUrl: string;
  dir: string;
}

/** What a load runs against: the URL it posts to and every process whose CPU and memory it charges. */
export interface LoadTarget {
  writeUrl: string;
  pids: readonly number[];
}

/**
 * Spawns a server with its output in `dir`/server.log and waits until
 * `readyUrl` answers 200; on failure kills it, removes `dir` and throws with
 * the log's tail.
 */
export async function startLoggedServer(
  name: string,
  dir: string,
  start: (stdio: ["ignore", number, number]) => ChildProcess,
  readyUrl: string,
  writeUrl: string,
): Promise<IngestServer> {
  const log = openSync(join(dir, "server.log"), "w");
  const child = start(["ignore", log, log]);
  // The child holds its own copy of the descriptor.
  closeSync(log);
  try {
    await waitForOk(readyUrl, child, INGEST_LIMITS.readyMs);
  } catch (e) {
    await stopChild(child, "SIGKILL", INGEST_LIMITS.stopMs);
    const tail = readFileSync(join(dir, "server.log"), "utf8").slice(-INGEST_LIMITS.logTailChars);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${name}: ${(e as Error).message}\n${tail}`);
  }
  return { child, writeUrl, dir };
}

/** Starts `m3ts start` fresh on a free loopback port with the commit log `strategy`; `nodeArgs` go to its Node.js. */
export async function startM3tsIngestServer(
  strategy: string,
  nodeArgs: readonly string[],
): Promise<IngestServer> {
  const dir = mkdtempSync(join(tmpdir(), "bench-ingest-m3ts-"));
  const port = await freeLoopbackPort();
  const config = writeM3tsConfig(dir, port, `db:\n  commitLog:\n    strategy: ${strategy}`);
  return startLoggedServer(
    "m3ts",
    dir,
    (stdio) =>
      spawn(process.execPath, [...nodeArgs, M3TS_BIN, "start", "--config", config], { stdio }),
    `http://127.0.0.1:${port}/ready`,
    `http://127.0.0.1:${port}/api/v1/write`,
  );
}

/** Stops a server started here (SIGTERM, then SIGKILL) and removes its directory. */
export async function stopIngestServer(server: IngestServer): Promise<void> {
  await stopChild(server.child, "SIGTERM", INGEST_LIMITS.stopMs);
  rmSync(server.dir, { recursive: true, force: true });
}

export interface RunFigures {
  samplesPerS: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU seconds of all the target's processes together over the timed part. */
  cpuS: number;
  /** The same, per process, in the order of `LoadTarget.pids`. */
  cpuSByProcess: number[];
  cpuCores: number;
  /** Peak of the processes' summed RSS. */
  rssMb: number;
  accepted: number;
  seconds: number;
  rejectedRequests: number;
  retries: number;
}

/** Waits run around the timed part, inside its CPU window but outside its wall time. */
export interface RunHooks {
  /** After the warm-up, before the CPU counters are read (e.g. until replicas have caught up). */
  beforeTimed?: () => Promise<void>;
  /** After the last timed request, before the CPU counters are read again. */
  afterTimed?: () => Promise<void>;
}

/**
 * Sends the rounds below `warmupRounds` untimed, so that the timed part
 * measures a steady state of known series (as a long-running Prometheus
 * sends) rather than their creation; then the rest, timed, until the load
 * runs out or `seconds` pass.
 */
export async function runLoad(
  target: LoadTarget,
  load: Load,
  seconds: number,
  warmupRounds: number,
  hooks: RunHooks = {},
): Promise<RunFigures> {
  const pids = target.pids;
  const url = new URL(target.writeUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: load.requests.length });
  const firstTimed = load.requests.map((shard) => {
    const k = shard.findIndex((r) => r.round >= warmupRounds);
    return k < 0 ? shard.length : k;
  });
  await Promise.all(
    load.requests.map(async (shard, i) => {
      for (let k = 0; k < firstTimed[i]; k++) {
        const res = await postWrite(agent, url, shard[k].body);
        if (res.status < 200 || res.status >= 300) {
          throw new Error(`warm-up request refused: ${res.status} ${res.text.slice(0, 300)}`);
        }
      }
    }),
  );
  await hooks.beforeTimed?.();
  const latenciesMs: number[] = [];
  let accepted = 0;
  let rejectedRequests = 0;
  let retries = 0;
  let firstError = "";
  const summedRss = () => pids.reduce((sum, pid) => sum + rssMb(pid), 0);
  let peakRss = summedRss();
  const sampler = setInterval(() => {
    try {
      peakRss = Math.max(peakRss, summedRss());
    } catch {
      // A process is gone; the run fails on its next request.
    }
  }, INGEST_LIMITS.rssSampleEveryMs);
  const cpu0 = pids.map(cpuSeconds);
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  let wall = 0;
  try {
    await Promise.all(
      load.requests.map(async (shard, i) => {
        for (let k = firstTimed[i]; k < shard.length; k++) {
          if (performance.now() > deadline) return;
          const r = shard[k];
          for (;;) {
            const start = performance.now();
            const res = await postWrite(agent, url, r.body);
            latenciesMs.push(performance.now() - start);
            if (res.status >= 200 && res.status < 300) {
              accepted += r.samples;
              break;
            }
            if (res.status === 429 || res.status === 503) {
              retries++;
              await new Promise((w) => setTimeout(w, INGEST_LIMITS.retryPauseMs));
              continue;
            }
            rejectedRequests++;
            firstError ||= `${res.status} ${res.text.slice(0, 300)}`;
            break;
          }
        }
      }),
    );
    wall = (performance.now() - t0) / 1000;
    await hooks.afterTimed?.();
  } finally {
    clearInterval(sampler);
    agent.destroy();
  }
  const cpuSByProcess = pids.map((pid, i) => cpuSeconds(pid) - cpu0[i]);
  const cpu = cpuSByProcess.reduce((a, b) => a + b, 0);
  if (firstError !== "") console.error(`  first refused request: ${firstError}`);
  latenciesMs.sort((a, b) => a - b);
  const q = (p: number) =>
    latenciesMs[Math.min(latenciesMs.length - 1, Math.floor(p * latenciesMs.length))] ?? 0;
  return {
    samplesPerS: accepted / wall,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    cpuS: cpu,
    cpuSByProcess,
    cpuCores: cpu / wall,
    rssMb: peakRss,
    accepted,
    seconds: wall,
    rejectedRequests,
    retries,
  };
}

/** The middle value; the upper of the two middle ones for an even count. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Rounds to build: `rounds` when given (> 0), else enough for `seconds` at
 * the planned rate after the warm-up, within what the load may hold.
 */
export function plannedRounds(o: {
  series: number;
  seconds: number;
  rounds: number;
  warmupRounds: number;
}): number {
  const wanted =
    o.rounds > 0
      ? o.rounds
      : o.warmupRounds +
        Math.max(2, Math.ceil((INGEST_LIMITS.plannedSamplesPerS * o.seconds) / o.series));
  const rounds = Math.max(2, Math.min(wanted, Math.floor(INGEST_LIMITS.maxLoadSamples / o.series)));
  if (rounds <= o.warmupRounds) {
    throw new IngestBenchArgsError(
      `--warmup-rounds ${o.warmupRounds} leaves nothing to time out of ${rounds} rounds ` +
        `(at most ${INGEST_LIMITS.maxLoadSamples} samples are held; lower --series or --warmup-rounds)`,
    );
  }
  return rounds;
}

export interface BuiltLoad {
  load: Load;
  /** Time of round 0, epoch ms. */
  firstMs: number;
}

/**
 * Builds a load whose timestamps end just before now (see
 * INGEST_LIMITS.spanMs) and prints one line about it under `name`.
 */
export function freshLoad(
  name: string,
  o: { series: number; senders: number; rounds: number },
): BuiltLoad {
  const t0 = performance.now();
  const firstMs = Date.now() - INGEST_LIMITS.newestAgeMs - INGEST_LIMITS.spanMs;
  const load = buildLoad({
    series: o.series,
    rounds: o.rounds,
    shards: o.senders,
    firstMs,
    stepMs: Math.max(1, Math.floor(INGEST_LIMITS.spanMs / (o.rounds - 1))),
  });
  const requests = load.requests.reduce((n, r) => n + r.length, 0);
  console.log(
    `${name} ${load.totalSamples} samples in ${requests} requests, ` +
      `${(load.bodyBytes / load.totalSamples).toFixed(1)} compressed bytes/sample, ` +
      `built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return { load, firstMs };
}

/**
 * True when a load built at `firstMs` is too old for a run of
 * `runSeconds` (plus a minute) into m3ts's warm write window.
 */
export function staleForM3ts(built: BuiltLoad, runSeconds: number): boolean {
  return Date.now() - built.firstMs + (runSeconds + 60) * 1000 > INGEST_LIMITS.m3tsMaxAgeMs;
}
