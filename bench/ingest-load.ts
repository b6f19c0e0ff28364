// The remote write load of bench:ingest: series shaped like node_exporter
// and Kubernetes targets (about ten labels, sorted by name as Prometheus
// sends them), values of the realistic mix (counters, two-decimal gauges,
// constants, histogram buckets), cut as Prometheus's queue cuts them: each
// series belongs to one shard (by hash), each shard sends its series in
// requests of 500 to 2 000 samples, one round (one sample per series) after
// another. Requests are encoded and snappy-compressed before any timer runs.
import { compressSync } from "snappy";
import { encodeWriteRequest, type TestSeries } from "../src/coordinator/testing.js";
import { murmur3_32, seededRandom } from "../src/x/index.js";

export interface LoadOptions {
  series: number;
  rounds: number;
  shards: number;
  /** Time of round 0 in epoch ms; round r is at firstMs + r * stepMs. */
  firstMs: number;
  stepMs: number;
  seed?: number;
}

export interface Load {
  rounds: number;
  /** requests[shard][k]: compressed body and its sample count, in send order. */
  requests: { body: Buffer; samples: number }[][];
  totalSamples: number;
  bodyBytes: number;
}

const KINDS = ["counter", "gauge2dp", "constant", "histogram"] as const;
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

/** Labels of series `s`, sorted by name. */
export function loadLabels(s: number): [string, string][] {
  const instance = Math.floor(s / 1000);
  const k = s % 1000;
  const kind = KINDS[k % KINDS.length];
  const family = FAMILIES[Math.floor(k / 4) % FAMILIES.length];
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
  if (kind === "histogram") labels.push(["le", LE[Math.floor(k / 24) % LE.length]]);
  else labels.push(["mode", MODES[Math.floor(k / 24) % MODES.length]]);
  labels.push(["series", String(k)]);
  return labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The value of series `s` at round `r`. */
function valueAt(s: number, r: number, base: number): number {
  switch (KINDS[(s % 1000) % KINDS.length]) {
    case "counter":
      return base * 1000 + r * (1 + (s % 17));
    case "gauge2dp":
      return Math.round((base * 100 + Math.sin(r / 7 + s) * 50) * 100) / 100;
    case "constant":
      return s % 3;
    default:
      return Math.floor(base * 10) + r * (s % 5);
  }
}

export function buildLoad(o: LoadOptions): Load {
  const rand = seededRandom(o.seed ?? 7);
  const labels = Array.from({ length: o.series }, (_, s) => loadLabels(s));
  const base = Array.from({ length: o.series }, () => rand());
  const shardOf = new Map<number, number[]>();
  const utf8 = new TextEncoder();
  for (let s = 0; s < o.series; s++) {
    const h = murmur3_32(utf8.encode(labels[s].map(([n, v]) => `${n}=${v}`).join(",")));
    const shard = h % o.shards;
    let list = shardOf.get(shard);
    if (list === undefined) {
      list = [];
      shardOf.set(shard, list);
    }
    list.push(s);
  }
  const requests: Load["requests"] = Array.from({ length: o.shards }, () => []);
  let totalSamples = 0;
  let bodyBytes = 0;
  for (let shard = 0; shard < o.shards; shard++) {
    const members = shardOf.get(shard) ?? [];
    for (let r = 0; r < o.rounds; r++) {
      const t = o.firstMs + r * o.stepMs;
      let i = 0;
      while (i < members.length) {
        const size = Math.min(members.length - i, 500 + Math.floor(rand() * 1501));
        const series: TestSeries[] = [];
        for (let k = i; k < i + size; k++) {
          const s = members[k];
          series.push({ labels: labels[s], timesMs: [t], values: [valueAt(s, r, base[s])] });
        }
        const body = compressSync(encodeWriteRequest(series, { version: "1.0" }));
        requests[shard].push({ body, samples: size });
        totalSamples += size;
        bodyBytes += body.length;
        i += size;
      }
    }
  }
  return { rounds: o.rounds, requests, totalSamples, bodyBytes };
}
