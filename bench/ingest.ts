// bench:ingest — the same pre-encoded Prometheus remote write load against
// `m3ts start`, the Debian `prometheus` (remote write receiver) and the
// Debian `victoria-metrics`, one after another in one run, each started
// fresh on loopback with its own data directory. Prints samples per second
// accepted, request latency, server CPU and peak RSS, and the ratios.
//
// Flags: --only m3ts,prometheus,victoriametrics  --series 100000
//        --seconds 20  --senders 8  --reps 1  --strategy wait|behind
//        --rounds N (default: enough for --seconds at 800k samples/s)
//        --warmup-rounds 1 (sent untimed first, so that series exist)
//        --node-args "--cpu-prof --cpu-prof-dir=DIR" (for the m3ts process)
// Ordering: each sender is one of Prometheus's shards. It owns a fixed set of
// series and sends its requests one at a time, in round order, so a request
// of round r + 1 for a series leaves only after round r's was acknowledged
// (per-shard ordering; shards do not wait for each other). 429 and 503 are
// retried after a short pause, as Prometheus retries them.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { M3tsError } from "../src/x/index.js";
import { ensureDebianPackages } from "../test/support/debian-packages.js";
import {
  freeLoopbackPort,
  M3TS_BIN,
  stopChild,
  waitForOk,
  writeM3tsConfig,
} from "../test/support/processes.js";
import { buildLoad, type Load } from "./ingest-load.js";
import { postWrite } from "./remote-write-post.js";

const SERVERS = ["m3ts", "prometheus", "victoriametrics"] as const;
type ServerName = (typeof SERVERS)[number];

const LIMITS = {
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
class IngestBenchArgsError extends M3tsError {
  constructor(message: string) {
    super("M3TS_ERR_BENCH_ARGS", message);
  }
}

interface Args {
  only: ServerName[];
  series: number;
  seconds: number;
  senders: number;
  reps: number;
  strategy: "wait" | "behind";
  rounds: number;
  warmupRounds: number;
  /** Extra Node.js flags for the m3ts process (e.g. "--cpu-prof"). */
  nodeArgs: string[];
}

function positiveInt(flag: string, v: string | undefined, min: number): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n < min) {
    throw new IngestBenchArgsError(`${flag}: expected an integer >= ${min}, got ${String(v)}`);
  }
  return n;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    only: [...SERVERS],
    series: 100_000,
    seconds: 20,
    senders: 8,
    reps: 1,
    strategy: "wait",
    rounds: 0,
    warmupRounds: 1,
    nodeArgs: [],
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const v = argv[i + 1];
    switch (flag) {
      case "--only":
        a.only = (v ?? "").split(",").map((s) => {
          if (!(SERVERS as readonly string[]).includes(s)) {
            throw new IngestBenchArgsError(
              `--only: unknown server "${s}"; allowed: ${SERVERS.join(", ")}`,
            );
          }
          return s as ServerName;
        });
        break;
      case "--series":
        a.series = positiveInt(flag, v, 1);
        break;
      case "--seconds":
        a.seconds = positiveInt(flag, v, 1);
        break;
      case "--senders":
        a.senders = positiveInt(flag, v, 1);
        break;
      case "--reps":
        a.reps = positiveInt(flag, v, 1);
        break;
      case "--rounds":
        a.rounds = positiveInt(flag, v, 2);
        break;
      case "--warmup-rounds":
        a.warmupRounds = positiveInt(flag, v, 0);
        break;
      case "--node-args":
        a.nodeArgs = (v ?? "").split(" ").filter((x) => x !== "");
        break;
      case "--strategy":
        if (v !== "wait" && v !== "behind") {
          throw new IngestBenchArgsError(`--strategy: expected wait or behind, got ${String(v)}`);
        }
        a.strategy = v;
        break;
      default:
        throw new IngestBenchArgsError(
          `unknown flag ${flag}; allowed: --only --series --seconds --senders --reps --rounds --warmup-rounds --strategy --node-args`,
        );
    }
  }
  return a;
}

interface Server {
  child: ChildProcess;
  writeUrl: string;
  dir: string;
}

async function startServer(
  name: ServerName,
  strategy: string,
  nodeArgs: string[],
): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), `bench-ingest-${name}-`));
  const port = await freeLoopbackPort();
  const log = openSync(join(dir, "server.log"), "w");
  const writeUrl = `http://127.0.0.1:${port}/api/v1/write`;
  let child: ChildProcess;
  let ready: string;
  const stdio: ["ignore", number, number] = ["ignore", log, log];
  if (name === "m3ts") {
    const config = writeM3tsConfig(dir, port, `db:\n  commitLog:\n    strategy: ${strategy}`);
    child = spawn(process.execPath, [...nodeArgs, M3TS_BIN, "start", "--config", config], {
      stdio,
    });
    ready = `http://127.0.0.1:${port}/ready`;
  } else if (name === "prometheus") {
    // No scrape jobs: the server only receives what the bench writes.
    writeFileSync(join(dir, "prometheus.yml"), "global:\n  scrape_interval: 1m\n");
    child = spawn(
      "prometheus",
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "tsdb")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--web.enable-remote-write-receiver",
      ],
      { stdio },
    );
    ready = `http://127.0.0.1:${port}/-/ready`;
  } else {
    child = spawn(
      "victoria-metrics",
      [
        `-httpListenAddr=127.0.0.1:${port}`,
        `-storageDataPath=${join(dir, "vm")}`,
        "-loggerLevel=WARN",
      ],
      { stdio },
    );
    ready = `http://127.0.0.1:${port}/health`;
  }
  // The child holds its own copy of the descriptor.
  closeSync(log);
  try {
    await waitForOk(ready, child, LIMITS.readyMs);
  } catch (e) {
    await stopChild(child, "SIGKILL", LIMITS.stopMs);
    const tail = readFileSync(join(dir, "server.log"), "utf8").slice(-LIMITS.logTailChars);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${name}: ${(e as Error).message}\n${tail}`);
  }
  return { child, writeUrl, dir };
}

/** CPU seconds the process has used (user + system), from /proc/<pid>/stat in clock ticks of 1/100 s. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which may hold spaces: state is [0], utime [11], stime [12].
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m === null ? 0 : Number(m[1]) / 1024;
}

interface RunFigures {
  samplesPerS: number;
  p50Ms: number;
  p99Ms: number;
  cpuS: number;
  cpuCores: number;
  rssMb: number;
  accepted: number;
  seconds: number;
  rejectedRequests: number;
  retries: number;
}

/**
 * Sends the rounds below `warmupRounds` untimed, so that the timed part
 * measures a steady state of known series (as a long-running Prometheus
 * sends) rather than their creation; then the rest, timed, until the load
 * runs out or `seconds` pass.
 */
async function runLoad(
  server: Server,
  load: Load,
  seconds: number,
  warmupRounds: number,
): Promise<RunFigures> {
  const pid = server.child.pid as number;
  const url = new URL(server.writeUrl);
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
  const latenciesMs: number[] = [];
  let accepted = 0;
  let rejectedRequests = 0;
  let retries = 0;
  let firstError = "";
  let peakRss = rssMb(pid);
  const sampler = setInterval(() => {
    try {
      peakRss = Math.max(peakRss, rssMb(pid));
    } catch {
      // The process is gone; the run fails on its next request.
    }
  }, LIMITS.rssSampleEveryMs);
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
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
              await new Promise((w) => setTimeout(w, LIMITS.retryPauseMs));
              continue;
            }
            rejectedRequests++;
            firstError ||= `${res.status} ${res.text.slice(0, 300)}`;
            break;
          }
        }
      }),
    );
  } finally {
    clearInterval(sampler);
    agent.destroy();
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  if (firstError !== "") console.error(`  first refused request: ${firstError}`);
  latenciesMs.sort((a, b) => a - b);
  const q = (p: number) =>
    latenciesMs[Math.min(latenciesMs.length - 1, Math.floor(p * latenciesMs.length))] ?? 0;
  return {
    samplesPerS: accepted / wall,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    cpuS: cpu,
    cpuCores: cpu / wall,
    rssMb: peakRss,
    accepted,
    seconds: wall,
    rejectedRequests,
    retries,
  };
}

/** The middle value; the upper of the two middle ones for an even count. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Builds a load whose timestamps end just before now (see LIMITS.spanMs). */
function freshLoad(args: Args, rounds: number): { load: Load; firstMs: number } {
  const t0 = performance.now();
  const firstMs = Date.now() - LIMITS.newestAgeMs - LIMITS.spanMs;
  const load = buildLoad({
    series: args.series,
    rounds,
    shards: args.senders,
    firstMs,
    stepMs: Math.max(1, Math.floor(LIMITS.spanMs / (rounds - 1))),
  });
  const requests = load.requests.reduce((n, r) => n + r.length, 0);
  console.log(
    `ingest.load ${load.totalSamples} samples in ${requests} requests, ` +
      `${(load.bodyBytes / load.totalSamples).toFixed(1)} compressed bytes/sample, ` +
      `built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return { load, firstMs };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.only.some((s) => s !== "m3ts")) ensureDebianPackages(["prometheus", "victoria-metrics"]);
  const wanted =
    args.rounds > 0
      ? args.rounds
      : args.warmupRounds +
        Math.max(2, Math.ceil((LIMITS.plannedSamplesPerS * args.seconds) / args.series));
  const rounds = Math.max(2, Math.min(wanted, Math.floor(LIMITS.maxLoadSamples / args.series)));
  if (rounds <= args.warmupRounds) {
    throw new IngestBenchArgsError(
      `--warmup-rounds ${args.warmupRounds} leaves nothing to time out of ${rounds} rounds ` +
        `(at most ${LIMITS.maxLoadSamples} samples are held; lower --series or --warmup-rounds)`,
    );
  }
  const results = new Map<ServerName, RunFigures[]>();
  let built: { load: Load; firstMs: number } | undefined;
  for (let rep = 0; rep < args.reps; rep++) {
    for (const name of args.only) {
      const runMs = (args.seconds + 60) * 1000;
      if (
        built === undefined ||
        (name === "m3ts" && Date.now() - built.firstMs + runMs > LIMITS.m3tsMaxAgeMs)
      ) {
        // Drop the old requests before encoding the new ones.
        built = undefined;
        (globalThis as { gc?: () => void }).gc?.();
        built = freshLoad(args, rounds);
      }
      const server = await startServer(name, args.strategy, args.nodeArgs);
      try {
        const f = await runLoad(server, built.load, args.seconds, args.warmupRounds);
        console.log(
          `ingest.${name}.rep${rep}.samples_per_s ${Math.round(f.samplesPerS)} samples/s`,
        );
        console.log(`ingest.${name}.rep${rep}.p50_ms ${f.p50Ms.toFixed(2)} ms`);
        console.log(`ingest.${name}.rep${rep}.p99_ms ${f.p99Ms.toFixed(2)} ms`);
        console.log(`ingest.${name}.rep${rep}.cpu_s ${f.cpuS.toFixed(1)} s`);
        console.log(`ingest.${name}.rep${rep}.cpu_cores ${f.cpuCores.toFixed(2)} cores`);
        console.log(`ingest.${name}.rep${rep}.rss_mb ${f.rssMb.toFixed(0)} MB`);
        console.log(`ingest.${name}.rep${rep}.timed_s ${f.seconds.toFixed(1)} s`);
        console.log(`ingest.${name}.rep${rep}.retries ${f.retries} requests`);
        console.log(`ingest.${name}.rep${rep}.refused ${f.rejectedRequests} requests`);
        const list = results.get(name) ?? [];
        list.push(f);
        results.set(name, list);
      } finally {
        await stopChild(server.child, "SIGTERM", LIMITS.stopMs);
        rmSync(server.dir, { recursive: true, force: true });
      }
    }
  }
  const rate = new Map<ServerName, number>();
  for (const [name, list] of results) {
    const m = (pick: (f: RunFigures) => number) => median(list.map(pick));
    rate.set(
      name,
      m((f) => f.samplesPerS),
    );
    console.log(`ingest.${name}.samples_per_s ${Math.round(m((f) => f.samplesPerS))} samples/s`);
    console.log(`ingest.${name}.p50_ms ${m((f) => f.p50Ms).toFixed(2)} ms`);
    console.log(`ingest.${name}.p99_ms ${m((f) => f.p99Ms).toFixed(2)} ms`);
    console.log(`ingest.${name}.cpu_s ${m((f) => f.cpuS).toFixed(1)} s`);
    console.log(`ingest.${name}.cpu_cores ${m((f) => f.cpuCores).toFixed(2)} cores`);
    console.log(`ingest.${name}.rss_mb ${m((f) => f.rssMb).toFixed(0)} MB`);
  }
  const m3 = rate.get("m3ts");
  const prom = rate.get("prometheus");
  const vm = rate.get("victoriametrics");
  if (m3 !== undefined && prom !== undefined) {
    console.log(`ingest.ratio_vs_prometheus ${(m3 / prom).toFixed(3)} ratio`);
  }
  if (m3 !== undefined && vm !== undefined) {
    console.log(`ingest.ratio_vs_victoriametrics ${(m3 / vm).toFixed(3)} ratio`);
  }
}

await main();
