// The remote write load of bench:ingest: series shaped like node_exporter
// and Kubernetes targets (nine labels, sorted by name as Prometheus sends
// them), values of the realistic mix (counters, two-decimal gauges,
// constants, histogram buckets, in MIX_WEIGHTS' shares), cut as Prometheus's
// queue cuts them: each series belongs to one shard (by hash), each shard
// sends its series in requests of 500 to 2 000 samples, one round (one sample
// per series) after another. Requests are encoded and snappy-compressed
// before any timer runs.
import { compressSync } from "snappy";
import { encodeWriteRequest, type TestSeries } from "../src/coordinator/index.js";
import { murmur3_32, seededRandom } from "../src/x/index.js";
import { MIX_WEIGHTS } from "./datasets.js";

export interface LoadOptions {
  series: number;
  rounds: number;
  shards: number;
  /** Time of round 0 in epoch ms; round r is at firstMs + r * stepMs. */
  firstMs: number;
  stepMs: number;
  seed?: number;
}

/** One pre-encoded request: its snappy-compressed WriteRequest, its round, its sample count. */
export interface LoadRequest {
  body: Buffer;
  round: number;
  samples: number;
}

export interface Load {
  rounds: number;
  /** requests[shard][k], in send order: all of round r before any of round r + 1. */
  requests: LoadRequest[][];
  totalSamples: number;
  bodyBytes: number;
}

/** Samples per request: Prometheus's max_samples_per_send is 2 000; a shard's last cut of a round may be smaller. */
export const MIN_REQUEST_SAMPLES = 500;
export const MAX_REQUEST_SAMPLES = 2_000;
/** Series per scrape target: an instance's series share its target labels. */
const SERIES_PER_INSTANCE = 1_000;

type Kind = keyof typeof MIX_WEIGHTS;
/** Kind of each of 20 slots, in MIX_WEIGHTS' shares (counter 8, gauge 6, constant 3, histogram 3). */
const KIND_SLOTS: Kind[] = (Object.keys(MIX_WEIGHTS) as Kind[]).flatMap((k) =>
  Array.from<Kind>({ length: Math.round(MIX_WEIGHTS[k] * 20) }).fill(k),
);
const FAMILIES = [
  "cpu_seconds",
  "memory_bytes",
  "disk_io_seconds",
  "network_bytes",
  "http_requests",
  "filesystem_bytes",
];
const MODES = ["idle", "user", "system", "iowait", "irq", "softirq", "steal", "nice"];
const LE = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"];

/** The kind of value series `s` carries. */
export function loadKind(s: number): Kind {
  return KIND_SLOTS[(s % SERIES_PER_INSTANCE) % KIND_SLOTS.length];
}

/** Labels of series `s`, sorted by name; distinct for distinct `s`. */
export function loadLabels(s: number): [string, string][] {
  const instance = Math.floor(s / SERIES_PER_INSTANCE);
  const k = s % SERIES_PER_INSTANCE;
  const kind = loadKind(s);
  const family = FAMILIES[Math.floor(k / KIND_SLOTS.length) % FAMILIES.length];
  const labels: [string, string][] = [
    [
      "__name__",
      kind === "histogram"
        ? `${family}_bucket`
        : `node_${family}_${kind === "counter" ? "total" : "current"}`,
    ],
    ["cluster", `cluster-${instance % 3}`],
    ["instance", `10.${(instance >> 8) & 255}.${instance & 255}.7:9100`],
    ["job", `job-${instance % 10}`],
    ["namespace", `ns-${instance % 25}`],
    ["pod", `pod-${instance}-${(instance * 7919) % 100000}`],
    ["region", `region-${instance % 4}`],
  ];
  if (kind === "histogram") labels.push(["le", LE[Math.floor(k / 120) % LE.length]]);
  else labels.push(["mode", MODES[Math.floor(k / 120) % MODES.length]]);
  // `series` keeps two series of one instance apart whatever the other labels give.
  labels.push(["series", String(k)]);
  return labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The value of series `s` at round `r`; `base` in [0, 1) is drawn once per series. */
export function loadValue(s: number, r: number, base: number): number {
  switch (loadKind(s)) {
    case "counter":
      return Math.floor(base * 1e6) + r * (1 + (s % 17));
    case "gauge2dp":
      return Math.round((base * 100 + Math.sin(r / 7 + s) * 50) * 100) / 100;
    case "constant":
      return s % 3;
    default:
      // A bucket count: cumulative, so it grows like a counter, more slowly.
      return Math.floor(base * 10) + r * (s % 5);
  }
}

/** Shard of series `s` as Prometheus picks it: a hash of its labels, so it never changes. */
export function loadShard(labels: [string, string][], shards: number): number {
  const utf8 = new TextEncoder();
  return murmur3_32(utf8.encode(labels.map(([n, v]) => `${n}=${v}`).join("\xff"))) % shards;
}

/** Encodes every request of every round; memory is about 25 bytes per sample. */
export function buildLoad(o: LoadOptions): Load {
  const rand = seededRandom(o.seed ?? 7);
  const members: number[][] = Array.from({ length: o.shards }, () => []);
  // One series object per series, its one-sample columns rewritten each round.
  const all: TestSeries[] = [];
  const base = new Float64Array(o.series);
  for (let s = 0; s < o.series; s++) {
    const labels = loadLabels(s);
    members[loadShard(labels, o.shards)].push(s);
    all.push({ labels, timesMs: new Float64Array(1), values: new Float64Array(1) });
    base[s] = rand();
  }
  const requests: LoadRequest[][] = Array.from({ length: o.shards }, () => []);
  const batch: TestSeries[] = [];
  let totalSamples = 0;
  let bodyBytes = 0;
  for (let shard = 0; shard < o.shards; shard++) {
    const list = members[shard];
    for (let r = 0; r < o.rounds; r++) {
      const t = o.firstMs + r * o.stepMs;
      let i = 0;
      while (i < list.length) {
        const size = Math.min(
          list.length - i,
          MIN_REQUEST_SAMPLES +
            Math.floor(rand() * (MAX_REQUEST_SAMPLES - MIN_REQUEST_SAMPLES + 1)),
        );
        batch.length = 0;
        for (let k = i; k < i + size; k++) {
          const s = list[k];
          const one = all[s];
          (one.timesMs as Float64Array)[0] = t;
          (one.values as Float64Array)[0] = loadValue(s, r, base[s]);
          batch.push(one);
        }
        // copyOutputData: the default external buffer keeps the compressor's
        // worst-case capacity alive, about three times the compressed size.
        const body = compressSync(encodeWriteRequest(batch, { version: "1.0" }), {
          copyOutputData: true,
        });
        requests[shard].push({ body, round: r, samples: size });
        totalSamples += size;
        bodyBytes += body.length;
        i += size;
      }
    }
  }
  return { rounds: o.rounds, requests, totalSamples, bodyBytes };
}
