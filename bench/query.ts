// bench:query — PromQL latency of m3ts against the Debian `prometheus`
// (2.42) on the same data, on the same machine, one server after the other.
//
// Data (bench/query-data.ts): 100 node_exporter-like targets of 100 series
// (10 000 series) scraped every 15 s for the 6 hours up to the run's start,
// with jitter that keeps every sample off whole seconds. Both servers get it
// through remote write (Prometheus through --web.enable-remote-write-receiver,
// not promtool blocks: so that its head holds the last hours as a running
// server's does), in windows of 5 minutes of scrapes, oldest first. Then each
// is left to reach the state a server would be in after those 6 hours: m3ts's
// own tick flushes every block older than bufferPast (the default namespace
// takes the older data as cold writes), Prometheus's compactor cuts its head
// into blocks until the head spans at most 3 hours.
//
// Queries (bench/query-cases.ts), each instant at the data's end and as a
// range over the whole span at 60 s step, both on whole seconds: median of
// --runs timed runs after --warmups, over HTTP. Then the ingest probe
// (bench/query-ingest.ts) against m3ts, idle and under a loop of the queries.
//
// Flags: --quick (10 targets, 3 hours, fewer runs)  --targets N  --hours H
//        (a multiple of 3)  --runs 7  --warmups 2  --only m3ts|prometheus
//        --ingest-seconds S  --keep (leave the data directories)
//        --cpu-prof DIR (m3ts runs under Node's --cpu-prof, its profile in DIR;
//        `node dist/bench/query-profile.js DIR [--phase queries|<query>.<mode>]`
//        sums it by part of the code, e.g. --phase count_all.instant)
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { M3tsError } from "../src/x/index.js";
import { ensureDebianPackages } from "../test/support/debian-packages.js";
import { BLOCK_POINTS } from "./mix-samples.js";
import { QUERY_CASES } from "./query-cases.js";
import { compareQueryData, REL_TOLERANCE } from "./query-compare.js";
import {
  QUERY_SCRAPE_INTERVAL_MS,
  queryData,
  queryEndMs,
  SERIES_PER_TARGET,
} from "./query-data.js";
import { type IngestProbeOptions, probeIngest } from "./query-ingest.js";
import { encodeBackfill } from "./query-load.js";
import { PHASES_FILE, type Phase } from "./query-profile.js";
import {
  type BenchServer,
  load,
  settleM3ts,
  settlePrometheus,
  startM3tsServer,
  startPrometheusServer,
  stopServer,
} from "./query-servers.js";
import { MODES, type Mode, median, runQuery, type Timing, timeQuery } from "./query-timing.js";

const SERVERS = ["m3ts", "prometheus"] as const;
type ServerName = (typeof SERVERS)[number];

const LIMITS = {
  /** Scrapes per series in one load window: 5 minutes. */
  windowPoints: 20,
  maxRequestSamples: 4_000,
  requestTimeoutMs: 120_000,
  /** Timed runs of one query are cut (to minRuns at least) past this much expected time. */
  budgetMs: 8_000,
  minRuns: 3,
} as const;

/** A bench flag was missing or held a value the bench cannot use. */
class QueryBenchArgsError extends M3tsError {
  constructor(message: string) {
    super("M3TS_ERR_BENCH_ARGS", message);
  }
}

interface Args {
  targets: number;
  hours: number;
  runs: number;
  warmups: number;
  only: ServerName[];
  ingestSeconds: number;
  keep: boolean;
  budgetMs: number;
  /** Extra Node.js flags for the m3ts process. */
  nodeArgs: string[];
  /** Where m3ts's CPU profile and phases.json go ("" when not profiling). */
  profileDir: string;
}

function positiveInt(flag: string, v: string | undefined, min: number): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n < min) {
    throw new QueryBenchArgsError(`${flag}: expected an integer >= ${min}, got ${String(v)}`);
  }
  return n;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    targets: 100,
    hours: 6,
    runs: 7,
    warmups: 2,
    only: [...SERVERS],
    ingestSeconds: 20,
    keep: false,
    budgetMs: LIMITS.budgetMs,
    nodeArgs: [],
    profileDir: "",
  };
  // --quick first, so that flags after it still win.
  if (argv.includes("--quick")) {
    Object.assign(a, { targets: 10, hours: 3, runs: 5, warmups: 1, ingestSeconds: 8 });
    a.budgetMs = LIMITS.budgetMs / 4;
  }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const v = argv[i + 1];
    switch (flag) {
      case "--quick":
        continue;
      case "--keep":
        a.keep = true;
        continue;
      case "--targets":
        a.targets = positiveInt(flag, v, 1);
        break;
      case "--hours":
        a.hours = positiveInt(flag, v, 3);
        if (a.hours % 3 !== 0) {
          throw new QueryBenchArgsError(`--hours: expected a multiple of 3, got ${a.hours}`);
        }
        break;
      case "--runs":
        a.runs = positiveInt(flag, v, 1);
        break;
      case "--warmups":
        a.warmups = positiveInt(flag, v, 1);
        break;
      case "--ingest-seconds":
        a.ingestSeconds = positiveInt(flag, v, 1);
        break;
      case "--cpu-prof":
        // The profile is written when m3ts exits, after the last query and the ingest probe.
        if (v === undefined || v.startsWith("--")) {
          throw new QueryBenchArgsError("--cpu-prof: expected a directory for the m3ts profile");
        }
        a.profileDir = resolve(v);
        a.nodeArgs = ["--cpu-prof", `--cpu-prof-dir=${a.profileDir}`];
        break;
      case "--only":
        if (!(SERVERS as readonly string[]).includes(v ?? "")) {
          throw new QueryBenchArgsError(
            `--only: unknown server "${String(v)}"; allowed: ${SERVERS.join(", ")}`,
          );
        }
        a.only = [v as ServerName];
        break;
      default:
        throw new QueryBenchArgsError(
          `unknown flag ${flag}; allowed: --quick --targets --hours --runs --warmups --only --ingest-seconds --keep --cpu-prof`,
        );
    }
    i++;
  }
  return a;
}

/** Timings of every query in every mode on one server, keyed "name.mode". */
type Timings = Map<string, Timing>;

/**
 * A runner of named phases that, when `profileDir` is set, appends each
 * phase's window (monotonic µs, the clock of V8's profiles) to its
 * phases.json, for bench/query-profile.ts.
 */
type Phases = <T>(name: string, run: () => Promise<T>) => Promise<T>;

function phases(profileDir: string): Phases {
  return async (name, run) => {
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    try {
      return await run();
    } finally {
      if (profileDir !== "") {
        mkdirSync(profileDir, { recursive: true });
        const file = join(profileDir, PHASES_FILE);
        const list: Phase[] = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : [];
        list.push({ name, fromUs, toUs: Number(process.hrtime.bigint() / 1000n) });
        writeFileSync(file, JSON.stringify(list, null, 1));
      }
    }
  };
}

function note(text: string): void {
  console.error(`# ${text}`);
}

/** Times every query in every mode; each one is also a phase of its own, named "<query>.<mode>". */
async function timeAll(
  server: BenchServer,
  args: Args,
  endS: number,
  spanS: number,
  phase: Phases,
): Promise<Timings> {
  const out: Timings = new Map();
  for (const q of QUERY_CASES) {
    for (const mode of MODES) {
      const options = {
        warmups: args.warmups,
        runs: args.runs,
        budgetMs: args.budgetMs,
        minRuns: Math.min(LIMITS.minRuns, args.runs),
        endS,
        spanS,
        requestTimeoutMs: LIMITS.requestTimeoutMs,
      };
      const t = await phase(`${q.name}.${mode}`, () => timeQuery(server.base, q, mode, options));
      if (t.error !== "") note(`${server.name} ${q.name} ${mode} failed: ${t.error}`);
      else note(`${server.name} ${q.name} ${mode}: ${t.medianMs.toFixed(1)} ms (${t.runs} runs)`);
      out.set(`${q.name}.${mode}`, t);
    }
  }
  return out;
}

/**
 * Counts the samples the server holds over the whole span with PromQL and
 * says so when the count is not what was loaded (an answer about a store
 * that lost data would compare nothing).
 */
async function checkSamples(
  server: BenchServer,
  endS: number,
  hours: number,
  names: readonly string[],
  loaded: number,
): Promise<void> {
  const o = {
    warmups: 0,
    runs: 0,
    budgetMs: 0,
    minRuns: 0,
    endS,
    spanS: 0,
    requestTimeoutMs: LIMITS.requestTimeoutMs,
  };
  try {
    let held = 0;
    // One metric name at a time: count_over_time drops the name, so over
    // several names series would collide. Every sample is after
    // endS - hours and before endS (bench/query-data.ts).
    for (const name of names) {
      const q = { name: "samples", query: `sum(count_over_time(${name}[${hours}h]))` };
      const r = await runQuery(server.base, q, "instant", o);
      const result = r.data.result as { value: [number, string] }[];
      if (result.length === 1) held += Number(result[0].value[1]);
    }
    console.log(`query.check.${server.name}_samples ${held} samples`);
    if (held !== loaded) note(`${server.name} holds ${held} samples of the ${loaded} loaded`);
  } catch (e) {
    note(`${server.name}: the sample count query failed: ${(e as Error).message}`);
  }
}

/** Runs the queries one after another, over and over, until `stop.done`; stops at a failure. */
async function queryLoop(
  base: string,
  endS: number,
  spanS: number,
  stop: { done: boolean },
): Promise<{ queries: number; error: string }> {
  let n = 0;
  const o = {
    warmups: 0,
    runs: 0,
    budgetMs: 0,
    minRuns: 0,
    endS,
    spanS,
    requestTimeoutMs: LIMITS.requestTimeoutMs,
  };
  while (!stop.done) {
    for (const q of QUERY_CASES) {
      for (const mode of MODES) {
        if (stop.done) return { queries: n, error: "" };
        try {
          await runQuery(base, q, mode, o);
        } catch (e) {
          return { queries: n, error: `${q.name} ${mode}: ${(e as Error).message}` };
        }
        n++;
      }
    }
  }
  return { queries: n, error: "" };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.profileDir !== "") {
    mkdirSync(args.profileDir, { recursive: true });
    if (readdirSync(args.profileDir).some((f) => f.endsWith(".cpuprofile"))) {
      throw new QueryBenchArgsError(`--cpu-prof: ${args.profileDir} already holds a profile`);
    }
    rmSync(join(args.profileDir, PHASES_FILE), { force: true });
  }
  const t0 = performance.now();
  const points = (args.hours * 3_600_000) / QUERY_SCRAPE_INTERVAL_MS;
  if (points % BLOCK_POINTS !== 0) {
    throw new QueryBenchArgsError(`--hours ${args.hours} does not give whole generator blocks`);
  }
  const endMs = queryEndMs(Date.now());
  const endS = endMs / 1000;
  const spanS = args.hours * 3600;
  const data = queryData({ targets: args.targets, points, endMs });
  const backfill = encodeBackfill(data, {
    windowPoints: LIMITS.windowPoints,
    maxRequestSamples: LIMITS.maxRequestSamples,
  });
  const requests = backfill.windows.reduce((n, w) => n + w.length, 0);
  const metricNames = [
    ...new Set(data.series.map((x) => x.labels.find(([n]) => n === "__name__")?.[1] ?? "")),
  ];
  console.log(`query.series ${data.series.length} series`);
  console.log(`query.samples ${backfill.samples} samples`);
  note(
    `${data.series.length} series (${SERIES_PER_TARGET} per target) x ${points} scrapes, ` +
      `${requests} requests, ${(backfill.bodyBytes / 2 ** 20).toFixed(0)} MiB, ` +
      `built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const timings = new Map<ServerName, Timings>();
  let probeIdle = Number.NaN;
  let probeLoaded = Number.NaN;
  for (const name of args.only) {
    const dir = mkdtempSync(join(tmpdir(), `bench-query-${name}-`));
    let server: BenchServer | null = null;
    try {
      if (name === "m3ts") server = await startM3tsServer(dir, args.nodeArgs);
      else {
        ensureDebianPackages(["prometheus"]);
        server = await startPrometheusServer(dir);
      }
      const phase = phases(name === "m3ts" ? args.profileDir : "");
      const loadS = await phase("load", () => load(server as BenchServer, backfill));
      console.log(`query.load.${name}_s ${loadS.toFixed(1)} s`);
      console.log(
        `query.load.${name}_samples_per_s ${Math.round(backfill.samples / loadS)} samples/s`,
      );
      if (name === "m3ts") {
        const s = await phase("settle", () => settleM3ts(server as BenchServer));
        note(
          `m3ts settled in ${s.seconds.toFixed(1)} s: ${s.warmFlushes} warm and ${s.coldFlushes} cold volume flushes`,
        );
      } else {
        const s = await settlePrometheus(server, join(dir, "tsdb"));
        note(
          `prometheus settled in ${s.seconds.toFixed(1)} s: ${s.blocks} blocks, ` +
            `head spans ${(s.headSpanMs / 3_600_000).toFixed(2)} h, ${s.compactions} compactions`,
        );
      }
      timings.set(
        name,
        await phase("queries", () => timeAll(server as BenchServer, args, endS, spanS, phase)),
      );
      await checkSamples(server, endS, args.hours, metricNames, backfill.samples);
      if (name === "m3ts") {
        const probe: IngestProbeOptions = {
          seconds: args.ingestSeconds,
          requestsPerS: 20,
          samplesPerRequest: Math.min(500, data.series.length),
        };
        const cursor = { next: 0 };
        const writeUrl = server.writeUrl;
        const idle = await phase("probe_idle", () => probeIngest(writeUrl, data, cursor, probe));
        const stop = { done: false };
        const loop = queryLoop(server.base, endS, spanS, stop);
        let loaded: Awaited<ReturnType<typeof probeIngest>>;
        try {
          loaded = await phase("probe_loaded", () => probeIngest(writeUrl, data, cursor, probe));
        } finally {
          stop.done = true;
        }
        const ran = await loop;
        if (ran.error !== "") note(`the query loop stopped early: ${ran.error}`);
        probeIdle = idle.p99Ms;
        // Without queries running alongside, the second probe measured nothing new.
        probeLoaded = ran.error === "" ? loaded.p99Ms : Number.NaN;
        note(
          `ingest probe: idle p50 ${idle.p50Ms.toFixed(2)} ms over ${idle.requests} requests ` +
            `(${idle.retries} retries); under load p50 ${loaded.p50Ms.toFixed(2)} ms over ` +
            `${loaded.requests} (${loaded.retries} retries) while ${ran.queries} queries ran`,
        );
      }
    } finally {
      if (server !== null) await stopServer(server);
      if (name === "m3ts" && args.profileDir !== "") note(`m3ts profile in ${args.profileDir}`);
      if (!args.keep) rmSync(dir, { recursive: true, force: true });
      else note(`${name} data kept in ${dir}`);
    }
  }

  const m3 = timings.get("m3ts");
  const prom = timings.get("prometheus");
  const ratios: number[] = [];
  let mismatches = 0;
  for (const q of QUERY_CASES) {
    for (const mode of MODES as readonly Mode[]) {
      const key = `${q.name}.${mode}`;
      const a = m3?.get(key);
      const b = prom?.get(key);
      if (a !== undefined) console.log(`query.${key}.m3ts_ms ${a.medianMs.toFixed(2)} ms`);
      if (b !== undefined) console.log(`query.${key}.prometheus_ms ${b.medianMs.toFixed(2)} ms`);
      if (a === undefined || b === undefined) continue;
      const ratio = a.medianMs / b.medianMs;
      console.log(`query.${key}.ratio ${ratio.toFixed(3)} ratio`);
      if (Number.isFinite(ratio)) ratios.push(ratio);
      if (a.data === null || b.data === null) {
        mismatches++;
        console.error(`mismatch ${key}: no answer to compare (${a.error || b.error})`);
        continue;
      }
      const c = compareQueryData(a.data, b.data, REL_TOLERANCE);
      if (c.count > 0) {
        mismatches++;
        console.error(`mismatch ${key} (${q.query}): ${c.count} differences, first ones:`);
        for (const d of c.details) console.error(`  ${d}`);
      }
    }
  }
  if (m3 !== undefined && prom !== undefined) {
    console.log(`query.median_ratio ${median(ratios).toFixed(3)} ratio`);
    console.log(
      `query.max_ratio ${(ratios.length === 0 ? Number.NaN : Math.max(...ratios)).toFixed(3)} ratio`,
    );
    console.log(`query.mismatches ${mismatches} queries`);
  }
  if (m3 !== undefined) {
    console.log(`query.ingest_p99_idle_ms ${probeIdle.toFixed(2)} ms`);
    console.log(`query.ingest_p99_under_load_ms ${probeLoaded.toFixed(2)} ms`);
  }
  console.log(`query.total_s ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

await main();
