// The data set of bench:query: node_exporter-like targets of 100 series each
// (counters, gauges, constants and one 12-bucket histogram, close to
// MIX_WEIGHTS' shares, with values from bench/datasets.ts's generators),
// scraped every 15 s up to a given end time, with scrape jitter that never
// puts a sample on a whole second (so no sample sits on the boundary of a
// window whose ends are whole seconds, where Prometheus 2.42's closed
// windows and Prometheus 3's left-open ones disagree).
import { seededRandom } from "../src/x/index.js";
import { type DatasetName, HISTOGRAM_BOUNDS } from "./datasets.js";
import { BLOCK_POINTS, stitched } from "./mix-samples.js";
import type { Samples } from "./samples.js";

export const QUERY_SCRAPE_INTERVAL_MS = 15_000;
/** Every target's scrapes sit this far (at most) past its slot in the interval, before jitter. */
const MAX_TARGET_OFFSET_MS = 14_000;
/** A late scrape is 1..MAX_LATE_MS late; SHARE_LATE of the scrapes are. */
const MAX_LATE_MS = 50;
const SHARE_LATE = 0.05;
/** How long counters have been counting before the data starts (see addUptime). */
const COUNTER_UPTIME_MS = 4 * 3_600_000;
const JOBS = ["node", "node-db", "node-web", "node-cache", "node-batch"] as const;
const RELEASES = ["5.15.0-91-generic", "6.1.0-17-amd64", "6.5.0-14-generic"] as const;
const CPU_MODES = ["idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"];
const MOUNTS: [device: string, mountpoint: string, fstype: string][] = [
  ["/dev/sda1", "/", "ext4"],
  ["/dev/sda2", "/boot", "ext4"],
  ["/dev/sda3", "/var", "xfs"],
  ["/dev/sdb1", "/data", "xfs"],
  ["/dev/sdb2", "/backup", "xfs"],
  ["tmpfs", "/run", "tmpfs"],
  ["tmpfs", "/dev/shm", "tmpfs"],
  ["tmpfs", "/tmp", "tmpfs"],
  ["overlay", "/var/lib/docker", "overlay"],
  ["/dev/nvme0n1p1", "/srv", "ext4"],
];
const MEMORY = ["Active", "Buffers", "Cached", "Dirty", "Inactive", "MemFree", "Shmem", "SwapFree"];

/** One series of a target: its kind of values, metric name and labels beside the target's. */
interface Slot {
  kind: DatasetName;
  name: string;
  labels: [string, string][];
}

/** The 100 series of one target, grouped by kind (counters 40, gauges 30, constants 18, histogram 12). */
function targetSlots(): Slot[] {
  const slots: Slot[] = [];
  const add = (kind: DatasetName, name: string, labels: [string, string][] = []) =>
    slots.push({ kind, name, labels });
  for (let cpu = 0; cpu < 4; cpu++) {
    for (const mode of CPU_MODES) {
      add("counter", "node_cpu_seconds_total", [
        ["cpu", String(cpu)],
        ["mode", mode],
      ]);
    }
  }
  for (const dir of ["receive", "transmit"]) {
    for (const device of ["eth0", "eth1"]) {
      add("counter", `node_network_${dir}_bytes_total`, [["device", device]]);
    }
  }
  for (const dir of ["read", "written"]) {
    for (const device of ["sda", "sdb"]) {
      add("counter", `node_disk_${dir}_bytes_total`, [["device", device]]);
    }
  }
  for (const [device, mountpoint, fstype] of MOUNTS) {
    add("gauge2dp", "node_filesystem_avail_bytes", [
      ["device", device],
      ["fstype", fstype],
      ["mountpoint", mountpoint],
    ]);
  }
  for (let chip = 0; chip < 2; chip++) {
    for (let sensor = 1; sensor <= 4; sensor++) {
      add("gauge2dp", "node_hwmon_temp_celsius", [
        ["chip", `platform_coretemp_${chip}`],
        ["sensor", `temp${sensor}`],
      ]);
    }
  }
  for (const field of MEMORY) add("gauge2dp", `node_memory_${field}_bytes`);
  for (const name of ["node_load1", "node_load5", "node_load15", "node_procs_running"]) {
    add("gauge2dp", name);
  }
  add("constant", "node_uname_info");
  add("constant", "up");
  add("constant", "node_boot_time_seconds");
  add("constant", "node_memory_MemTotal_bytes");
  for (const [device, mountpoint, fstype] of MOUNTS) {
    add("constant", "node_filesystem_size_bytes", [
      ["device", device],
      ["fstype", fstype],
      ["mountpoint", mountpoint],
    ]);
  }
  for (const device of ["eth0", "eth1"]) {
    add("constant", "node_network_mtu_bytes", [["device", device]]);
  }
  add("constant", "node_exporter_build_info", [
    ["goversion", "go1.19.8"],
    ["version", "1.5.0"],
  ]);
  add("constant", "node_textfile_scrape_error");
  for (const le of HISTOGRAM_BOUNDS) {
    add("histogram", "http_request_duration_seconds_bucket", [
      ["handler", "/metrics"],
      ["le", le === Number.POSITIVE_INFINITY ? "+Inf" : String(le)],
    ]);
  }
  return slots;
}

const SLOTS = targetSlots();
export const SERIES_PER_TARGET = SLOTS.length;

/**
 * The end of the data and the time of every query: the latest time at or
 * before `nowMs` that is 30 s past a whole minute. Queries then sit on whole
 * seconds but never on whole minutes, so the 1-minute steps of a subquery
 * (aligned to the epoch) never fall on its window's lower end either, where
 * Prometheus 2.42 includes a point and Prometheus 3 does not.
 */
export function queryEndMs(nowMs: number): number {
  return Math.floor((nowMs - 30_000) / 60_000) * 60_000 + 30_000;
}

export interface QueryDataOptions {
  /** Scrape targets; the data set has SERIES_PER_TARGET series per target. */
  targets: number;
  /** Scrapes per series, a whole multiple of BLOCK_POINTS (720: 3 hours at 15 s). */
  points: number;
  /** A whole second in epoch ms; every sample is before it, the last within one interval. */
  endMs: number;
  seed?: number;
}

export interface QueryData extends Samples {
  /** endMs - points * QUERY_SCRAPE_INTERVAL_MS: the first scrape slot. */
  startMs: number;
  endMs: number;
  points: number;
  targets: number;
}

/**
 * The series of `targets` node_exporter-like targets. Values come from
 * bench/mix-samples.ts's stitched generator (so counters keep increasing over
 * the whole span), re-timed at 15 s: the series of one target share its
 * scrape times (a target is scraped as a whole), which sit at a fixed offset
 * in the interval per target plus a few ms of lateness on some scrapes, and
 * never on a whole second. Info-style series and `up` are 1. Labels are
 * sorted by name, as Prometheus sends them.
 */
export function queryData(o: QueryDataOptions): QueryData {
  if (!Number.isInteger(o.targets) || o.targets < 1) {
    throw new RangeError(`targets must be a positive integer, got ${o.targets}`);
  }
  if (!Number.isInteger(o.points) || o.points < BLOCK_POINTS || o.points % BLOCK_POINTS !== 0) {
    throw new RangeError(`points must be a positive multiple of ${BLOCK_POINTS}, got ${o.points}`);
  }
  if (!Number.isSafeInteger(o.endMs) || o.endMs % 1000 !== 0) {
    throw new RangeError(`endMs must be a whole second in ms, got ${o.endMs}`);
  }
  const startMs = o.endMs - o.points * QUERY_SCRAPE_INTERVAL_MS;
  const rand = seededRandom(o.seed ?? 15);
  const times: Float64Array[] = [];
  for (let t = 0; t < o.targets; t++) times.push(scrapeTimes(startMs, o.points, rand));

  // Values per kind: member m of kind k on target t is source series t * count(k) + m.
  const perKind = new Map<DatasetName, number>();
  for (const s of SLOTS) perKind.set(s.kind, (perKind.get(s.kind) ?? 0) + 1);
  const sources = new Map<DatasetName, Samples["series"]>();
  for (const [kind, n] of perKind) {
    sources.set(kind, stitched(kind, n * o.targets, o.points / BLOCK_POINTS));
  }
  const series: Samples["series"] = [];
  for (let t = 0; t < o.targets; t++) {
    const target: [string, string][] = [
      ["cluster", `cluster-${t % 3}`],
      ["instance", `host-${t}:9100`],
      ["job", JOBS[t % JOBS.length]],
    ];
    const member = new Map<DatasetName, number>();
    for (const slot of SLOTS) {
      const m = member.get(slot.kind) ?? 0;
      member.set(slot.kind, m + 1);
      const source = (sources.get(slot.kind) as Samples["series"])[
        t * (perKind.get(slot.kind) as number) + m
      ];
      let values = source.values;
      let extra = slot.labels;
      if (slot.kind === "counter") addUptime(values, o.points * QUERY_SCRAPE_INTERVAL_MS);
      if (slot.name === "up") values = new Float64Array(o.points).fill(1);
      if (slot.name === "node_uname_info") {
        values = new Float64Array(o.points).fill(1);
        extra = unameLabels(t);
      }
      const labels: [string, string][] = [["__name__", slot.name], ...target, ...extra];
      labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      series.push({ labels, timesMs: times[t], values });
    }
  }
  return { series, startMs, endMs: o.endMs, points: o.points, targets: o.targets };
}

/**
 * Raises a counter as if it had run for COUNTER_UPTIME_MS at its mean rate
 * before the data starts. Then where a series begins inside a rate window,
 * the extrapolation towards zero is never between a quarter and a half of
 * an interval away, where Prometheus 2.42 (which compares it with the gap
 * to the window's start first) and Prometheus 3 (which halves an interval
 * first) extrapolate differently. The generator's counters start anywhere in
 * 0..1e6 whatever their rate.
 */
function addUptime(values: Float64Array, spanMs: number): void {
  const perMs = (values[values.length - 1] - values[0]) / spanMs;
  const offset = Math.round(perMs * COUNTER_UPTIME_MS);
  for (let i = 0; i < values.length; i++) values[i] += offset;
}

/** node_uname_info's labels for target `t`, as node_exporter reports them. */
function unameLabels(t: number): [string, string][] {
  return [
    ["domainname", "(none)"],
    ["machine", t % 4 === 3 ? "aarch64" : "x86_64"],
    ["nodename", `host-${t}`],
    ["release", RELEASES[t % RELEASES.length]],
    ["sysname", "Linux"],
    ["version", "#1 SMP PREEMPT_DYNAMIC"],
  ];
}

/** One target's scrape times: slot i at startMs + i * interval + offset + lateness, never a whole second. */
function scrapeTimes(startMs: number, points: number, rand: () => number): Float64Array {
  const out = new Float64Array(points);
  const offsetMs = 1 + Math.floor(rand() * MAX_TARGET_OFFSET_MS);
  for (let i = 0; i < points; i++) {
    const lateMs = rand() < SHARE_LATE ? 1 + Math.floor(rand() * MAX_LATE_MS) : 0;
    let t = startMs + i * QUERY_SCRAPE_INTERVAL_MS + offsetMs + lateMs;
    if (t % 1000 === 0) t += 1;
    out[i] = t;
  }
  return out;
}
