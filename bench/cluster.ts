// bench:cluster — the three-node RF=3 cluster (three `m3ts dbnode`s and one
// `m3ts coordinator` over a one-member etcd, all on this machine) against
// `m3ts start`.
//
// Ingest: bench:ingest's load (bench/ingest-load.ts, bench/ingest-run.ts),
// first against a fresh `m3ts start`, then against a fresh cluster through
// its coordinator, at the default write consistency (majority). CPU is that
// of the dbnodes and the coordinator together (etcd's is not counted), from
// before the timed part until the dbnodes' written count has stopped moving
// after it (so the third replica's writes are in); a client sample counts
// once per replica: CPU per million replicated samples is cpu / (accepted *
// RF / 1e6), set against the single node's CPU per million samples.
//
// Query: bench:query's data (bench/query-data.ts: --targets of 100 series,
// 15 s scrapes over --hours) loaded into another fresh cluster through the
// coordinator at write consistency all (so every replica holds every
// sample: checked on the dbnodes' written counts), the dbnodes left to
// flush what their tick flushes, then
// bench:query's queries (bench/query-cases.ts) instant and range through the
// coordinator, once with M3TS-Query-Pushdown: on (the nodes aggregate) and
// once with off (the coordinator merges the replicas and aggregates), at the
// default read consistency: the median of --runs timed runs each way, the
// two ways alternating. Before any timing the two answers must agree within
// 1e-12 relative; a query whose answers differ is not timed and fails the
// run. The headline figures are sum_rate's range query (3 200
// of the 10 000 series, over the whole span at 60 s steps, as a dashboard
// asks it); every query's instant and range figures are printed too.
//
// Flags: --only ingest,query  --series 20000  --seconds 15  --senders 8
//        --reps 1  --strategy wait|behind  --warmup-rounds 1
//        --rounds N (default: enough for --seconds at 800k samples/s)
//        --targets 100  --hours 3  --runs 5  --warmups 2
//        --queries sum_rate,... (default: all of bench:query's)
import { M3tsError } from "../src/x/index.js";
import {
  checkPushdownAgrees,
  clusterIngestFigures,
  type IngestMeasure,
  PushdownMismatchError,
} from "./cluster-figures.js";
import {
  type BenchCluster,
  CLUSTER_LIMITS,
  clusterLogs,
  datapointsWrittenByNode,
  drainReplicaWrites,
  startBenchCluster,
  stopBenchCluster,
} from "./cluster-processes.js";
import {
  applyLoadFlag,
  type BuiltLoad,
  freshLoad,
  IngestBenchArgsError,
  LOAD_FLAGS,
  type LoadArgs,
  median,
  plannedRounds,
  positiveInt,
  type RunFigures,
  runLoad,
  staleForM3ts,
  startM3tsIngestServer,
  stopIngestServer,
} from "./ingest-run.js";
import { BLOCK_POINTS } from "./mix-samples.js";
import { cpuSeconds } from "./process-usage.js";
import { QUERY_CASES, type QueryCase } from "./query-cases.js";
import { QUERY_SCRAPE_INTERVAL_MS, queryData, queryEndMs } from "./query-data.js";
import { encodeBackfill } from "./query-load.js";
import { load, settleM3ts } from "./query-servers.js";
import { MODES, type Mode, runQuery, type TimingOptions } from "./query-timing.js";

const PARTS = ["ingest", "query"] as const;
type Part = (typeof PARTS)[number];

const LIMITS = {
  /** As bench:query's load: scrapes per series per window, samples per request. */
  windowPoints: 20,
  maxRequestSamples: 4_000,
  requestTimeoutMs: 120_000,
  /** Timed runs of one query are cut (to minRuns at least) past this much expected time. */
  budgetMs: 6_000,
  minRuns: 3,
} as const;

/** The query and mode of the headline figures. */
const HEADLINE = { query: "sum_rate", mode: "range" as Mode };

const PUSHDOWN_HEADER = "M3TS-Query-Pushdown";

interface Args extends LoadArgs {
  only: Part[];
  targets: number;
  hours: number;
  runs: number;
  warmups: number;
  queries: QueryCase[];
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    only: [...PARTS],
    series: 20_000,
    seconds: 15,
    senders: 8,
    reps: 1,
    strategy: "wait",
    rounds: 0,
    warmupRounds: 1,
    targets: 100,
    hours: 3,
    runs: 5,
    warmups: 2,
    queries: [...QUERY_CASES],
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const v = argv[i + 1];
    if (applyLoadFlag(a, flag, v)) continue;
    switch (flag) {
      case "--only":
        a.only = (v ?? "").split(",").map((s) => {
          if (!(PARTS as readonly string[]).includes(s)) {
            throw new IngestBenchArgsError(
              `--only: unknown part "${s}"; allowed: ${PARTS.join(", ")}`,
            );
          }
          return s as Part;
        });
        break;
      case "--targets":
        a.targets = positiveInt(flag, v, 1);
        break;
      case "--hours":
        a.hours = positiveInt(flag, v, 3);
        if (a.hours % 3 !== 0) {
          throw new IngestBenchArgsError(`--hours: expected a multiple of 3, got ${a.hours}`);
        }
        break;
      case "--runs":
        a.runs = positiveInt(flag, v, 1);
        break;
      case "--warmups":
        a.warmups = positiveInt(flag, v, 1);
        break;
      case "--queries":
        a.queries = (v ?? "").split(",").map((name) => {
          const q = QUERY_CASES.find((c) => c.name === name);
          if (q === undefined) {
            throw new IngestBenchArgsError(
              `--queries: unknown query "${name}"; allowed: ${QUERY_CASES.map((c) => c.name).join(", ")}`,
            );
          }
          return q;
        });
        break;
      default:
        throw new IngestBenchArgsError(
          `unknown flag ${flag}; allowed: --only ${LOAD_FLAGS} --targets --hours --runs --warmups --queries`,
        );
    }
  }
  if (a.only.includes("query") && !a.queries.some((q) => q.name === HEADLINE.query)) {
    a.queries.unshift(QUERY_CASES.find((c) => c.name === HEADLINE.query) as QueryCase);
  }
  return a;
}

function note(text: string): void {
  console.error(`# ${text}`);
}

function dbnodeYaml(strategy: string): string {
  return `db:\n  commitLog:\n    strategy: ${strategy}`;
}

function printRun(prefix: string, f: RunFigures): void {
  console.log(`${prefix}.samples_per_s ${Math.round(f.samplesPerS)} samples/s`);
  console.log(`${prefix}.p50_ms ${f.p50Ms.toFixed(2)} ms`);
  console.log(`${prefix}.p99_ms ${f.p99Ms.toFixed(2)} ms`);
  console.log(`${prefix}.cpu_s ${f.cpuS.toFixed(1)} s`);
  console.log(`${prefix}.cpu_cores ${f.cpuCores.toFixed(2)} cores`);
  console.log(`${prefix}.rss_mb ${f.rssMb.toFixed(0)} MB`);
  console.log(`${prefix}.timed_s ${f.seconds.toFixed(1)} s`);
  console.log(`${prefix}.retries ${f.retries} requests`);
  console.log(`${prefix}.refused ${f.rejectedRequests} requests`);
}

interface ClusterRun {
  figures: RunFigures;
  /** Datapoints the dbnodes wrote over the timed part, all replicas together. */
  replicaWrites: number;
}

async function ingestCluster(args: Args, built: BuiltLoad, rep: number): Promise<ClusterRun> {
  const cluster = await startBenchCluster({ dbnodeYaml: dbnodeYaml(args.strategy) });
  try {
    let written0 = 0;
    let written1 = 0;
    const figures = await runLoad(
      {
        writeUrl: `${cluster.base}/api/v1/write`,
        pids: cluster.processes.map((p) => p.child?.pid as number),
      },
      built.load,
      args.seconds,
      args.warmupRounds,
      {
        beforeTimed: async () => {
          written0 = await drainReplicaWrites(cluster);
        },
        afterTimed: async () => {
          written1 = await drainReplicaWrites(cluster);
        },
      },
    );
    const prefix = `cluster.ingest.cluster.rep${rep}`;
    printRun(prefix, figures);
    cluster.processes.forEach((p, i) => {
      console.log(`${prefix}.${p.name}.cpu_s ${figures.cpuSByProcess[i].toFixed(1)} s`);
    });
    if (figures.rejectedRequests > 0) note(`cluster logs:\n${clusterLogs(cluster)}`);
    return { figures, replicaWrites: written1 - written0 };
  } finally {
    await stopBenchCluster(cluster);
  }
}

async function ingestPart(args: Args): Promise<void> {
  const rounds = plannedRounds(args);
  const singles: RunFigures[] = [];
  const clusters: ClusterRun[] = [];
  let built: BuiltLoad | undefined;
  const fresh = () => {
    if (built === undefined || staleForM3ts(built, args.seconds + 60)) {
      // Drop the old requests before encoding the new ones.
      built = undefined;
      (globalThis as { gc?: () => void }).gc?.();
      built = freshLoad("cluster.ingest.load", {
        series: args.series,
        senders: args.senders,
        rounds,
      });
    }
    return built;
  };
  for (let rep = 0; rep < args.reps; rep++) {
    const load = fresh();
    const server = await startM3tsIngestServer(args.strategy, []);
    try {
      const f = await runLoad(
        { writeUrl: server.writeUrl, pids: [server.child.pid as number] },
        load.load,
        args.seconds,
        args.warmupRounds,
      );
      printRun(`cluster.ingest.single.rep${rep}`, f);
      singles.push(f);
    } finally {
      await stopIngestServer(server);
    }
    clusters.push(await ingestCluster(args, fresh(), rep));
  }

  const m = <T>(list: T[], pick: (x: T) => number) => median(list.map(pick));
  const measure = (list: RunFigures[]): IngestMeasure => ({
    samplesPerS: m(list, (f) => f.samplesPerS),
    accepted: m(list, (f) => f.accepted),
    cpuS: m(list, (f) => f.cpuS),
  });
  const cf = clusters.map((c) => c.figures);
  const fig = clusterIngestFigures(measure(singles), measure(cf), CLUSTER_LIMITS.replicationFactor);
  console.log(
    `cluster.ingest.single.samples_per_s ${Math.round(m(singles, (f) => f.samplesPerS))} samples/s`,
  );
  console.log(`cluster.ingest.single.p99_ms ${m(singles, (f) => f.p99Ms).toFixed(2)} ms`);
  console.log(`cluster.ingest.single.cpu_s ${m(singles, (f) => f.cpuS).toFixed(1)} s`);
  console.log(`cluster.ingest.single.cpu_s_per_m ${fig.singleCpuSPerM.toFixed(3)} s`);
  console.log(`cluster.ingest.single.rss_mb ${m(singles, (f) => f.rssMb).toFixed(0)} MB`);
  console.log(`cluster.ingest.p50_ms ${m(cf, (f) => f.p50Ms).toFixed(2)} ms`);
  console.log(`cluster.ingest.p99_ms ${m(cf, (f) => f.p99Ms).toFixed(2)} ms`);
  console.log(`cluster.ingest.cpu_s ${m(cf, (f) => f.cpuS).toFixed(1)} s`);
  console.log(`cluster.ingest.cpu_cores ${m(cf, (f) => f.cpuCores).toFixed(2)} cores`);
  console.log(`cluster.ingest.rss_mb ${m(cf, (f) => f.rssMb).toFixed(0)} MB`);
  console.log(
    `cluster.ingest.replicas_written_per_sample ${m(clusters, (c) => c.replicaWrites / c.figures.accepted).toFixed(3)} ratio`,
  );
  console.log(`cluster.ingest.samples_per_s ${Math.round(fig.samplesPerS)} samples/s`);
  console.log(`cluster.ingest.ratio_vs_single ${fig.ratioVsSingle.toFixed(3)} ratio`);
  console.log(`cluster.cpu_s_per_m_replicated ${fig.cpuSPerMReplicated.toFixed(3)} s`);
  console.log(`cluster.cpu_ratio_vs_single ${fig.cpuRatioVsSingle.toFixed(3)} ratio`);
}

interface PairTiming {
  pushdownMs: number;
  fanoutMs: number;
  /** Timed runs of each way. */
  runs: number;
  /** The coordinator's share of the cluster's CPU while the query was timed each way. */
  pushdownCoordinatorShare: number;
  fanoutCoordinatorShare: number;
}

/**
 * Checks then times one query in one mode both ways, the runs of the two
 * ways alternating (on, off, on, off, ...) so that whatever the dbnodes do
 * meanwhile (ticks, flushes, caches filling) falls on both alike. The
 * check's pair is the first warm-up; a query slow enough that --runs pairs
 * would pass the budget gets fewer (minRuns at least). Null (and a note)
 * when it failed or the answers disagreed.
 */
async function timePair(
  cluster: BenchCluster,
  q: QueryCase,
  mode: Mode,
  base: TimingOptions,
  failures: string[],
): Promise<PairTiming | null> {
  const key = `${q.name}.${mode}`;
  const ways = [
    { ...base, headers: { [PUSHDOWN_HEADER]: "on" } },
    { ...base, headers: { [PUSHDOWN_HEADER]: "off" } },
  ];
  const pids = cluster.processes.map((p) => p.child?.pid as number);
  const coordinator = cluster.processes.indexOf(cluster.coordinator);
  const times: number[][] = [[], []];
  const coordinatorCpuS = [0, 0];
  const clusterCpuS = [0, 0];
  try {
    const pushed = await runQuery(cluster.base, q, mode, ways[0]);
    const fanned = await runQuery(cluster.base, q, mode, ways[1]);
    checkPushdownAgrees(`${key} (${q.query})`, pushed.data, fanned.data);
    for (let i = 1; i < base.warmups; i++) {
      for (const way of ways) await runQuery(cluster.base, q, mode, way);
    }
    const pairMs = Math.max(pushed.ms, fanned.ms);
    const runs = Math.max(base.minRuns, Math.min(base.runs, Math.floor(base.budgetMs / pairMs)));
    for (let r = 0; r < runs; r++) {
      for (let w = 0; w < ways.length; w++) {
        const cpu0 = pids.map(cpuSeconds);
        const t = await runQuery(cluster.base, q, mode, ways[w]);
        const used = pids.map((pid, i) => cpuSeconds(pid) - cpu0[i]);
        times[w].push(t.ms);
        coordinatorCpuS[w] += used[coordinator];
        clusterCpuS[w] += used.reduce((x, y) => x + y, 0);
      }
    }
  } catch (e) {
    const what = e instanceof PushdownMismatchError ? e.message : `${key}: ${(e as Error).message}`;
    console.error(what);
    failures.push(what);
    return null;
  }
  const share = (w: number) =>
    clusterCpuS[w] > 0 ? coordinatorCpuS[w] / clusterCpuS[w] : Number.NaN;
  const t: PairTiming = {
    pushdownMs: median(times[0]),
    fanoutMs: median(times[1]),
    runs: times[0].length,
    pushdownCoordinatorShare: share(0),
    fanoutCoordinatorShare: share(1),
  };
  note(
    `${key}: pushdown ${t.pushdownMs.toFixed(1)} ms, fan-out ${t.fanoutMs.toFixed(1)} ms ` +
      `(${t.runs} runs each)`,
  );
  return t;
}

async function queryPart(args: Args): Promise<string[]> {
  const t0 = performance.now();
  const points = (args.hours * 3_600_000) / QUERY_SCRAPE_INTERVAL_MS;
  if (points % BLOCK_POINTS !== 0) {
    throw new IngestBenchArgsError(`--hours ${args.hours} does not give whole generator blocks`);
  }
  const endMs = queryEndMs(Date.now());
  const data = queryData({ targets: args.targets, points, endMs });
  const backfill = encodeBackfill(data, {
    windowPoints: LIMITS.windowPoints,
    maxRequestSamples: LIMITS.maxRequestSamples,
  });
  console.log(`cluster.query.series ${data.series.length} series`);
  console.log(`cluster.query.samples ${backfill.samples} samples`);
  note(`query data built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const failures: string[] = [];
  // Written at consistency all, so that a replica that failed a write fails
  // the request (which the load retries) rather than leaving a replica short:
  // a pushed-down plan reads one replica per shard and equals the merged one
  // only when every replica holds every sample.
  const cluster = await startBenchCluster({
    dbnodeYaml: dbnodeYaml(args.strategy),
    writeConsistency: "all",
  });
  try {
    const loadS = await load({ writeUrl: `${cluster.base}/api/v1/prom/remote/write` }, backfill);
    console.log(`cluster.query.load_s ${loadS.toFixed(1)} s`);
    console.log(
      `cluster.query.load_samples_per_s ${Math.round(backfill.samples / loadS)} samples/s`,
    );
    const settled = await Promise.all(
      cluster.dbnodes.map((d) =>
        settleM3ts({
          child: d.child as NonNullable<typeof d.child>,
          base: d.base,
          logPath: `${cluster.root}/${d.name}/${d.name}.log`,
        }),
      ),
    );
    note(
      `dbnodes settled in ${Math.max(...settled.map((s) => s.seconds)).toFixed(1)} s: ` +
        settled.map((s) => `${s.warmFlushes} warm, ${s.coldFlushes} cold`).join("; "),
    );
    const written = await datapointsWrittenByNode(cluster);
    cluster.dbnodes.forEach((d, i) => {
      console.log(`cluster.query.${d.name}.datapoints_written ${written[i]} datapoints`);
    });
    const short = cluster.dbnodes.filter((_, i) => written[i] !== backfill.samples);
    if (short.length > 0) {
      // Pushdown's answers would then differ from the merged plan's by design.
      const what =
        `after the load, dbnodes ${short.map((d) => d.name).join(", ")} hold other than the ` +
        `${backfill.samples} datapoints loaded (${written.join(", ")}): some replica writes were lost`;
      console.error(what);
      failures.push(what);
    }
    const endS = endMs / 1000;
    const options: TimingOptions = {
      warmups: args.warmups,
      runs: args.runs,
      budgetMs: LIMITS.budgetMs,
      minRuns: Math.min(LIMITS.minRuns, args.runs),
      endS,
      spanS: args.hours * 3600,
      requestTimeoutMs: LIMITS.requestTimeoutMs,
    };
    let headline: PairTiming | null = null;
    for (const q of args.queries) {
      for (const mode of MODES) {
        const t = await timePair(cluster, q, mode, options, failures);
        if (t === null) continue;
        const key = `cluster.query.${q.name}.${mode}`;
        console.log(`${key}.pushdown_ms ${t.pushdownMs.toFixed(2)} ms`);
        console.log(`${key}.fanout_ms ${t.fanoutMs.toFixed(2)} ms`);
        console.log(`${key}.speedup ${(t.fanoutMs / t.pushdownMs).toFixed(3)} ratio`);
        console.log(
          `${key}.pushdown_coordinator_cpu_share ${t.pushdownCoordinatorShare.toFixed(3)} ratio`,
        );
        console.log(
          `${key}.fanout_coordinator_cpu_share ${t.fanoutCoordinatorShare.toFixed(3)} ratio`,
        );
        if (q.name === HEADLINE.query && mode === HEADLINE.mode) headline = t;
      }
    }
    if (headline !== null) {
      console.log(`cluster.query.sum_rate.pushdown_ms ${headline.pushdownMs.toFixed(2)} ms`);
      console.log(`cluster.query.sum_rate.fanout_ms ${headline.fanoutMs.toFixed(2)} ms`);
      console.log(
        `cluster.query.pushdown_speedup ${(headline.fanoutMs / headline.pushdownMs).toFixed(3)} ratio`,
      );
    }
    if (failures.length > 0) note(`cluster logs:\n${clusterLogs(cluster)}`);
  } finally {
    await stopBenchCluster(cluster);
  }
  return failures;
}

/** Some query failed or its pushed-down answer disagreed with the fanned-out one. */
class ClusterBenchFailedError extends M3tsError {
  constructor(failures: readonly string[]) {
    super(
      "M3TS_ERR_BENCH_FAILED",
      `${failures.length} queries failed or disagreed:\n${failures.join("\n")}`,
    );
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  if (args.only.includes("ingest")) await ingestPart(args);
  const failures = args.only.includes("query") ? await queryPart(args) : [];
  console.log(`cluster.total_s ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  if (failures.length > 0) throw new ClusterBenchFailedError(failures);
}

await main();
