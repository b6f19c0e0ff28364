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
// The senders and their ordering are bench/ingest-run.ts's.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDebianPackages } from "../test/support/debian-packages.js";
import { freeLoopbackPort } from "../test/support/processes.js";
import {
  applyLoadFlag,
  type BuiltLoad,
  freshLoad,
  IngestBenchArgsError,
  type IngestServer,
  LOAD_FLAGS,
  type LoadArgs,
  median,
  plannedRounds,
  type RunFigures,
  runLoad,
  staleForM3ts,
  startLoggedServer,
  startM3tsIngestServer,
  stopIngestServer,
} from "./ingest-run.js";

const SERVERS = ["m3ts", "prometheus", "victoriametrics"] as const;
type ServerName = (typeof SERVERS)[number];

interface Args extends LoadArgs {
  only: ServerName[];
  /** Extra Node.js flags for the m3ts process (e.g. "--cpu-prof"). */
  nodeArgs: string[];
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
    if (applyLoadFlag(a, flag, v)) continue;
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
      case "--node-args":
        a.nodeArgs = (v ?? "").split(" ").filter((x) => x !== "");
        break;
      default:
        throw new IngestBenchArgsError(
          `unknown flag ${flag}; allowed: --only ${LOAD_FLAGS} --node-args`,
        );
    }
  }
  return a;
}

/** Starts one of the servers fresh on loopback with its own data directory. */
async function startServer(
  name: ServerName,
  strategy: string,
  nodeArgs: string[],
): Promise<IngestServer> {
  if (name === "m3ts") return startM3tsIngestServer(strategy, nodeArgs);
  const dir = mkdtempSync(join(tmpdir(), `bench-ingest-${name}-`));
  const port = await freeLoopbackPort();
  const writeUrl = `http://127.0.0.1:${port}/api/v1/write`;
  if (name === "prometheus") {
    // No scrape jobs: the server only receives what the bench writes.
    writeFileSync(join(dir, "prometheus.yml"), "global:\n  scrape_interval: 1m\n");
    return startLoggedServer(
      name,
      dir,
      (stdio) =>
        spawn(
          "prometheus",
          [
            `--config.file=${join(dir, "prometheus.yml")}`,
            `--storage.tsdb.path=${join(dir, "tsdb")}`,
            `--web.listen-address=127.0.0.1:${port}`,
            "--web.enable-remote-write-receiver",
          ],
          { stdio },
        ),
      `http://127.0.0.1:${port}/-/ready`,
      writeUrl,
    );
  }
  return startLoggedServer(
    name,
    dir,
    (stdio) =>
      spawn(
        "victoria-metrics",
        [
          `-httpListenAddr=127.0.0.1:${port}`,
          `-storageDataPath=${join(dir, "vm")}`,
          "-loggerLevel=WARN",
        ],
        { stdio },
      ),
    `http://127.0.0.1:${port}/health`,
    writeUrl,
  );
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.only.some((s) => s !== "m3ts")) ensureDebianPackages(["prometheus", "victoria-metrics"]);
  const rounds = plannedRounds(args);
  const results = new Map<ServerName, RunFigures[]>();
  let built: BuiltLoad | undefined;
  for (let rep = 0; rep < args.reps; rep++) {
    for (const name of args.only) {
      if (built === undefined || (name === "m3ts" && staleForM3ts(built, args.seconds))) {
        // Drop the old requests before encoding the new ones.
        built = undefined;
        (globalThis as { gc?: () => void }).gc?.();
        built = freshLoad("ingest.load", { series: args.series, senders: args.senders, rounds });
      }
      const server = await startServer(name, args.strategy, args.nodeArgs);
      try {
        const target = { writeUrl: server.writeUrl, pids: [server.child.pid as number] };
        const f = await runLoad(target, built.load, args.seconds, args.warmupRounds);
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
        await stopIngestServer(server);
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
