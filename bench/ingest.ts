// bench:ingest — the same pre-encoded Prometheus remote write load against
// `m3ts start`, the Debian `prometheus` (remote write receiver) and the
// Debian `victoria-metrics`, one after another in one run, each started
// fresh on loopback with its own data directory. Prints samples per second
// accepted, request latency, server CPU and peak RSS, and the ratios.
//
// Flags: --only m3ts,prometheus,victoriametrics  --series 100000
//        --seconds 20  --senders 8  --reps 1  --strategy wait|behind
//        --warmup-rounds 1 (sent untimed first, so that series exist)
//        --node-args "--cpu-prof --cpu-prof-dir=DIR" (for the m3ts process)
// The senders are Prometheus's shards: each owns a fixed set of series and
// sends its requests one at a time, in order (a request of round r+1 only
// after round r's for the same series was acknowledged); 429 and 503 are
// retried after 50 ms, as Prometheus retries them.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeLoopbackPort, stopChild, waitForOk } from "../test/support/processes.js";
import { ensureDebianPackages } from "./external-tsdb.js";
import { buildLoad, type Load } from "./ingest-load.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const SERVERS = ["m3ts", "prometheus", "victoriametrics"] as const;
type ServerName = (typeof SERVERS)[number];

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

function parseArgs(argv: string[]): Args {
  const a: Args = {
    only: [...SERVERS],
    series: 100_000,
    seconds: 20,
    senders: 8,
    reps: 1,
    strategy: "wait",
    rounds: 0,
    nodeArgs: [],
    warmupRounds: 1,
  };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case "--only":
        a.only = v.split(",").map((s) => {
          if (!(SERVERS as readonly string[]).includes(s))
            throw new Error(`--only: unknown server ${s}`);
          return s as ServerName;
        });
        break;
      case "--series":
        a.series = Number(v);
        break;
      case "--seconds":
        a.seconds = Number(v);
        break;
      case "--senders":
        a.senders = Number(v);
        break;
      case "--reps":
        a.reps = Number(v);
        break;
      case "--warmup-rounds":
        a.warmupRounds = Number(v);
        break;
      case "--rounds":
        a.rounds = Number(v);
        break;
      case "--node-args":
        a.nodeArgs = v.split(" ").filter((x) => x !== "");
        break;
      case "--strategy":
        if (v !== "wait" && v !== "behind")
          throw new Error(`--strategy: expected wait or behind, got ${v}`);
        a.strategy = v;
        break;
      default:
        throw new Error(`unknown flag ${argv[i]}`);
    }
    i++;
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
  let child: ChildProcess;
  let ready: string;
  let writeUrl = `http://127.0.0.1:${port}/api/v1/write`;
  if (name === "m3ts") {
    const config = join(dir, "m3ts.yml");
    writeFileSync(
      config,
      [
        `dataDir: ${JSON.stringify(join(dir, "data"))}`,
        "logging:",
        "  level: warn",
        "coordinator:",
        `  listenAddress: "127.0.0.1:${port}"`,
        "carbon:",
        "  enabled: false",
        "db:",
        "  commitLog:",
        `    strategy: ${strategy}`,
      ].join("\n"),
    );
    child = spawn(
      process.execPath,
      [...nodeArgs, join(ROOT, "bin/m3ts.js"), "start", "--config", config],
      {
        stdio: ["ignore", log, log],
      },
    );
    ready = `http://127.0.0.1:${port}/ready`;
    writeUrl = `http://127.0.0.1:${port}/api/v1/prom/remote/write`;
  } else if (name === "prometheus") {
    writeFileSync(join(dir, "prometheus.yml"), "global:\n  scrape_interval: 1m\n");
    child = spawn(
      "prometheus",
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "tsdb")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--web.enable-remote-write-receiver",
      ],
      { stdio: ["ignore", log, log] },
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
      { stdio: ["ignore", log, log] },
    );
    ready = `http://127.0.0.1:${port}/health`;
  }
  try {
    await waitForOk(ready, child, 60_000);
  } catch (e) {
    child.kill("SIGKILL");
    throw new Error(
      `${name}: ${(e as Error).message}\n${readFileSync(join(dir, "server.log"), "utf8").slice(-3000)}`,
    );
  }
  return { child, writeUrl, dir };
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m === null ? 0 : Number(m[1]) / 1024;
}

function post(agent: Agent, url: URL, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent,
        headers: {
          "Content-Type": "application/x-protobuf",
          "Content-Encoding": "snappy",
          "X-Prometheus-Remote-Write-Version": "0.1.0",
          "Content-Length": body.length,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
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
 * Sends the first `warmupRounds` rounds untimed, so that the timed part
 * measures a steady state of known series (as a Prometheus long running has)
 * rather than their creation; then the rest, timed.
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
  const timed = load.requests.map((shard) => shard.slice(0));
  await Promise.all(
    timed.map(async (shard, i) => {
      const warm = Math.round((load.requests[i].length * warmupRounds) / load.rounds);
      for (const r of shard.splice(0, warm)) {
        const res = await post(agent, url, r.body);
        if (res.status < 200 || res.status >= 300)
          throw new Error(`warm-up request refused: ${res.status} ${res.text}`);
      }
    }),
  );
  const latencies: number[] = [];
  let accepted = 0;
  let rejectedRequests = 0;
  let retries = 0;
  let firstError = "";
  let peakRss = rssMb(pid);
  const sampler = setInterval(() => {
    try {
      peakRss = Math.max(peakRss, rssMb(pid));
    } catch {}
  }, 200);
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  await Promise.all(
    timed.map(async (shard) => {
      for (const r of shard) {
        if (performance.now() > deadline) return;
        for (;;) {
          const start = performance.now();
          const res = await post(agent, url, r.body);
          latencies.push(performance.now() - start);
          if (res.status >= 200 && res.status < 300) {
            accepted += r.samples;
            break;
          }
          if (res.status === 429 || res.status === 503) {
            retries++;
            await new Promise((w) => setTimeout(w, 50));
            continue;
          }
          rejectedRequests++;
          firstError ||= `${res.status} ${res.text.slice(0, 300)}`;
          break;
        }
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  clearInterval(sampler);
  agent.destroy();
  if (firstError !== "") console.error(`  first refused request: ${firstError}`);
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.only.some((s) => s !== "m3ts")) ensureDebianPackages(["prometheus", "victoria-metrics"]);
  // Enough rounds for the run at up to 600k samples/s; times stay inside every
  // server's write window (m3ts: 10 minutes back, 2 ahead).
  const rounds =
    args.rounds > 0 ? args.rounds : Math.max(2, Math.ceil((600_000 * args.seconds) / args.series));
  const stepMs = Math.max(1, Math.floor(240_000 / rounds));
  const t0 = performance.now();
  const load = buildLoad({
    series: args.series,
    rounds,
    shards: args.senders,
    firstMs: Date.now() - 270_000,
    stepMs,
  });
  console.log(
    `ingest.load ${load.totalSamples} samples in ${load.requests.reduce((n, r) => n + r.length, 0)} requests, ` +
      `${(load.bodyBytes / load.totalSamples).toFixed(1)} compressed bytes/sample, built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const results = new Map<ServerName, RunFigures[]>();
  for (let rep = 0; rep < args.reps; rep++) {
    for (const name of args.only) {
      const server = await startServer(name, args.strategy, args.nodeArgs);
      try {
        const f = await runLoad(server, load, args.seconds, args.warmupRounds);
        console.log(
          `ingest.${name}.rep${rep}.samples_per_s ${Math.round(f.samplesPerS)} samples/s ` +
            `(p50 ${f.p50Ms.toFixed(1)} ms, p99 ${f.p99Ms.toFixed(1)} ms, cpu ${f.cpuCores.toFixed(2)} cores, rss ${f.rssMb.toFixed(0)} MB, ` +
            `${f.accepted} samples in ${f.seconds.toFixed(1)} s, ${f.retries} retries, ${f.rejectedRequests} refused)`,
        );
        const list = results.get(name) ?? [];
        list.push(f);
        results.set(name, list);
      } finally {
        await stopChild(server.child, "SIGTERM", 30_000);
        rmSync(server.dir, { recursive: true, force: true });
      }
    }
  }
  const rate = new Map<ServerName, number>();
  for (const [name, list] of results) {
    const key = name;
    rate.set(name, median(list.map((f) => f.samplesPerS)));
    console.log(
      `ingest.${key}.samples_per_s ${Math.round(median(list.map((f) => f.samplesPerS)))} samples/s`,
    );
    console.log(`ingest.${key}.p50_ms ${median(list.map((f) => f.p50Ms)).toFixed(2)} ms`);
    console.log(`ingest.${key}.p99_ms ${median(list.map((f) => f.p99Ms)).toFixed(2)} ms`);
    console.log(`ingest.${key}.cpu_s ${median(list.map((f) => f.cpuS)).toFixed(1)} s`);
    console.log(`ingest.${key}.cpu_cores ${median(list.map((f) => f.cpuCores)).toFixed(2)} cores`);
    console.log(`ingest.${key}.rss_mb ${median(list.map((f) => f.rssMb)).toFixed(0)} MB`);
  }
  const m3 = rate.get("m3ts");
  if (m3 !== undefined && rate.has("prometheus")) {
    console.log(
      `ingest.ratio_vs_prometheus ${(m3 / (rate.get("prometheus") as number)).toFixed(3)} ratio`,
    );
  }
  if (m3 !== undefined && rate.has("victoriametrics")) {
    console.log(
      `ingest.ratio_vs_victoriametrics ${(m3 / (rate.get("victoriametrics") as number)).toFixed(3)} ratio`,
    );
  }
}

await main();
