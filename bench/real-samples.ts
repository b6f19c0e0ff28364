// A dataset shaped like what a Prometheus server scrapes from real exporters
// (node_exporter, process-exporter, its own metrics), generated from a seed
// and handed out 2 hours at a time, so that a week of it never sits in
// memory whole.
//
// Shape, as measured on real exporter data (issue 16): about 1 500 series
// with label sets of about 180 bytes, scraped every 10 s; 53% of the series
// constant, 35% non-constant integers (counters with slow, fast and bursty
// increments, and integer gauges such as free bytes), 3% gauges with two
// decimals (load averages, temperatures), 9% full floats (seconds counters
// from /proc, durations, ratios). Every series of a target shares that
// target's scrape timestamps: each target has its own offset within the
// interval, and most scrapes land exactly on the ideal time (Prometheus
// aligns a timestamp within 2 ms of it), a few some ms off.
import { type SampleChunk, type SampleStream, seriesPrefix } from "./samples.js";

export const REAL_SCRAPE_INTERVAL_MS = 10_000;
export const REAL_CHUNK_MS = 7_200_000;
/** Series in every real-shaped dataset. */
export const REAL_SERIES = 1_500;
/** Shares of the series by kind of values; their counts are these times REAL_SERIES, rounded. */
export const REAL_KIND_SHARES = {
  constant: 0.53,
  integer: 0.35,
  gauge2dp: 0.03,
  float: 0.09,
} as const;
export type RealKind = keyof typeof REAL_KIND_SHARES;
const KINDS = Object.keys(REAL_KIND_SHARES) as RealKind[];
/** Scrapes off their ideal time, and by how much at most. */
const JITTER = { share: 0.03, minMs: 3, maxMs: 25 } as const;

/** How a series' values move, scrape by scrape. */
const Model = {
  constant: 0,
  /** Counter that now and then goes up by 1 to 3 (errors, restarts, requests to a quiet handler). */
  slowCounter: 1,
  /** Counter with a steady rate and noise, and now and then a burst of a much higher rate. */
  fastCounter: 2,
  /** Integer gauge that moves in steps (free bytes in pages, thread counts). */
  intGauge: 3,
  /** Mean-reverting gauge rounded to two decimals. */
  gauge2dp: 4,
  /** Counter of seconds as /proc and the kernel count them: increments of whole ms. */
  floatCounter: 5,
  /** Gauge of full floats around a level (ratios, durations), changing on a share of the scrapes. */
  floatGauge: 6,
  /** A wall-clock time in seconds with sub-ms digits (node_time_seconds), full floats. */
  clockSeconds: 7,
} as const;
type ModelCode = (typeof Model)[keyof typeof Model];

const KIND_OF_MODEL: RealKind[] = [
  "constant",
  "integer",
  "integer",
  "integer",
  "gauge2dp",
  "float",
  "float",
  "float",
];
/** The model a series takes when its family's kind has no room left in the shares. */
const FALLBACK_MODEL: Record<RealKind, ModelCode> = {
  constant: Model.constant,
  integer: Model.slowCounter,
  gauge2dp: Model.gauge2dp,
  float: Model.floatGauge,
};

/** Named datasets of the storage benchmark, by length. */
export const REAL_DATASETS = {
  real1h30: { hours: 1.5 },
  real24h: { hours: 24 },
  real7d: { hours: 168 },
} as const;
export type RealDatasetName = keyof typeof REAL_DATASETS;

export interface RealSamplesOptions {
  /** Start of the data, epoch ms; a multiple of REAL_CHUNK_MS. */
  startMs: number;
  /** Length of the data; a whole number of scrape intervals. */
  durationMs: number;
  /** Seed of every random choice (same seed, same samples). */
  seed?: number;
}

/** Labels, model and parameters of one series before its values are drawn. */
interface SeriesSpec {
  labels: [string, string][];
  target: number;
  model: ModelCode;
  /** The model's level: constant value, counter start, gauge centre. */
  level: number;
  /** The model's rate or step: increments per scrape, walk step, noise width. */
  rate: number;
  /** Share of the scrapes on which a float gauge takes a new value (durations of GCs, rule runs). */
  changeShare: number;
}

/** A series a target exposes: family name, extra labels, model, level, rate, and optionally its change share. */
type FamilyRow = [string, [string, string][], ModelCode, number, number, number?];

/** Labels every series of a target carries (external labels and target labels), about 100 bytes. */
function targetLabels(instance: string, job: string): [string, string][] {
  return [
    ["cluster", "prod-eu-west-1"],
    ["datacenter", "dc1"],
    ["env", "production"],
    ["instance", instance],
    ["job", job],
    ["team", "platform"],
  ];
}

/** What the scrape itself adds to every target: up, scrape_duration_seconds and friends. */
function scrapeRows(samples: number): FamilyRow[] {
  return [
    ["up", [], Model.constant, 1, 0],
    ["scrape_duration_seconds", [], Model.floatGauge, 0.021, 0.004],
    ["scrape_samples_scraped", [], Model.constant, samples, 0],
    ["scrape_samples_post_metric_relabeling", [], Model.constant, samples, 0],
    ["scrape_series_added", [], Model.constant, 0, 0],
  ];
}

function nodeRows(host: number): FamilyRow[] {
  const rows: FamilyRow[] = [];
  for (let cpu = 0; cpu < 4; cpu++) {
    const c = String(cpu);
    for (const [mode, rate] of [
      ["idle", 0.82],
      ["iowait", 0.004],
      ["system", 0.05],
      ["user", 0.11],
    ] as const) {
      rows.push([
        "node_cpu_seconds_total",
        [
          ["cpu", c],
          ["mode", mode],
        ],
        Model.floatCounter,
        1e5 + host * 1e3,
        rate * 10,
      ]);
    }
    for (const mode of ["irq", "nice", "steal", "softirq"]) {
      rows.push([
        "node_cpu_seconds_total",
        [
          ["cpu", c],
          ["mode", mode],
        ],
        Model.constant,
        0,
        0,
      ]);
    }
    rows.push([
      "node_cpu_guest_seconds_total",
      [
        ["cpu", c],
        ["mode", "nice"],
      ],
      Model.constant,
      0,
      0,
    ]);
    rows.push([
      "node_cpu_guest_seconds_total",
      [
        ["cpu", c],
        ["mode", "user"],
      ],
      Model.constant,
      0,
      0,
    ]);
  }
  const mem: [string, ModelCode, number, number][] = [
    ["MemTotal", Model.constant, 16_777_216_000, 0],
    ["MemFree", Model.intGauge, 2_147_483_648, 4096],
    ["MemAvailable", Model.intGauge, 9_663_676_416, 4096],
    ["Buffers", Model.intGauge, 402_653_184, 4096],
    ["Cached", Model.intGauge, 6_442_450_944, 4096],
    ["Active", Model.intGauge, 5_368_709_120, 4096],
    ["Inactive", Model.intGauge, 3_221_225_472, 4096],
    ["Dirty", Model.intGauge, 1_048_576, 4096],
    ["SwapTotal", Model.constant, 0, 0],
    ["SwapFree", Model.constant, 0, 0],
    ["HugePages_Total", Model.constant, 0, 0],
    ["HugePages_Free", Model.constant, 0, 0],
    ["Hugepagesize", Model.constant, 2_097_152, 0],
    ["Mlocked", Model.constant, 0, 0],
    ["CommitLimit", Model.constant, 8_388_608_000, 0],
    ["VmallocTotal", Model.constant, 35_184_372_087_808, 0],
  ];
  for (const [m, model, level, rate] of mem)
    rows.push([`node_memory_${m}_bytes`, [], model, level, rate]);
  for (const device of ["eth0", "lo", "docker0"]) {
    const d: [string, string][] = [["device", device]];
    const busy = device === "eth0" ? 1 : 0.05;
    rows.push(["node_network_receive_bytes_total", d, Model.fastCounter, 1e10, 2e5 * busy]);
    rows.push(["node_network_transmit_bytes_total", d, Model.fastCounter, 8e9, 1.5e5 * busy]);
    rows.push(["node_network_receive_packets_total", d, Model.fastCounter, 1e8, 300 * busy]);
    rows.push(["node_network_transmit_packets_total", d, Model.fastCounter, 9e7, 250 * busy]);
    rows.push(["node_network_receive_errs_total", d, Model.constant, 0, 0]);
    rows.push(["node_network_transmit_errs_total", d, Model.constant, 0, 0]);
    rows.push([
      "node_network_receive_drop_total",
      d,
      device === "eth0" ? Model.slowCounter : Model.constant,
      12,
      0.05,
    ]);
    rows.push(["node_network_transmit_drop_total", d, Model.constant, 0, 0]);
    rows.push(["node_network_up", d, Model.constant, 1, 0]);
    rows.push(["node_network_mtu_bytes", d, Model.constant, device === "lo" ? 65536 : 1500, 0]);
    rows.push(["node_network_info", [...d, ["operstate", "up"]], Model.constant, 1, 0]);
  }
  for (const device of ["vda", "vdb"]) {
    const d: [string, string][] = [["device", device]];
    rows.push(["node_disk_reads_completed_total", d, Model.fastCounter, 3e6, 4]);
    rows.push(["node_disk_writes_completed_total", d, Model.fastCounter, 9e6, 30]);
    rows.push(["node_disk_read_bytes_total", d, Model.fastCounter, 6e10, 5e4]);
    rows.push(["node_disk_written_bytes_total", d, Model.fastCounter, 2e11, 4e5]);
    rows.push(["node_disk_io_time_seconds_total", d, Model.floatCounter, 5e4, 0.2]);
    rows.push(["node_disk_read_time_seconds_total", d, Model.floatCounter, 2e4, 0.05]);
    rows.push(["node_disk_write_time_seconds_total", d, Model.floatCounter, 9e4, 0.4]);
    rows.push(["node_disk_io_now", d, Model.constant, 0, 0]);
    rows.push(["node_disk_discards_completed_total", d, Model.constant, 0, 0]);
  }
  for (const [device, mount, fstype, size] of [
    ["/dev/vda1", "/", "ext4", 107_374_182_400],
    ["/dev/vdb1", "/var/lib/data", "xfs", 536_870_912_000],
    ["tmpfs", "/run", "tmpfs", 1_677_721_600],
    ["/dev/vda15", "/boot/efi", "vfat", 109_422_592],
  ] as const) {
    const l: [string, string][] = [
      ["device", device],
      ["fstype", fstype],
      ["mountpoint", mount],
    ];
    const moving = mount === "/" || mount === "/var/lib/data";
    rows.push(["node_filesystem_size_bytes", l, Model.constant, size, 0]);
    rows.push([
      "node_filesystem_free_bytes",
      l,
      moving ? Model.intGauge : Model.constant,
      size * 0.4,
      4096,
    ]);
    rows.push([
      "node_filesystem_avail_bytes",
      l,
      moving ? Model.intGauge : Model.constant,
      size * 0.35,
      4096,
    ]);
    rows.push(["node_filesystem_files", l, Model.constant, 6_553_600, 0]);
    rows.push(["node_filesystem_files_free", l, Model.constant, 6_000_000, 0]);
    rows.push(["node_filesystem_readonly", l, Model.constant, 0, 0]);
    rows.push(["node_filesystem_device_error", l, Model.constant, 0, 0]);
  }
  rows.push(["node_load1", [], Model.gauge2dp, 0.9, 0.08]);
  rows.push(["node_load5", [], Model.gauge2dp, 0.8, 0.03]);
  rows.push(["node_load15", [], Model.gauge2dp, 0.7, 0.01]);
  for (const sensor of ["temp1", "temp2"]) {
    rows.push([
      "node_hwmon_temp_celsius",
      [
        ["chip", "platform_coretemp_0"],
        ["sensor", sensor],
      ],
      Model.gauge2dp,
      45,
      0.3,
    ]);
  }
  for (const [m, model, level, rate] of [
    ["pgfault", Model.fastCounter, 8e8, 2000],
    ["pgmajfault", Model.slowCounter, 40_000, 0.1],
    ["pgpgin", Model.fastCounter, 6e7, 50],
    ["pgpgout", Model.fastCounter, 2e8, 400],
    ["pswpin", Model.constant, 0, 0],
    ["pswpout", Model.constant, 0, 0],
    ["oom_kill", Model.constant, 0, 0],
  ] as const) {
    rows.push([`node_vmstat_${m}`, [], model, level, rate]);
  }
  for (const [m, model, level, rate] of [
    ["Tcp_ActiveOpens", Model.fastCounter, 4e5, 2],
    ["Tcp_PassiveOpens", Model.fastCounter, 9e5, 5],
    ["Tcp_RetransSegs", Model.slowCounter, 3e4, 0.3],
    ["Tcp_InErrs", Model.constant, 0, 0],
    ["Tcp_CurrEstab", Model.intGauge, 45, 1],
    ["Udp_InDatagrams", Model.fastCounter, 2e6, 8],
    ["Udp_OutDatagrams", Model.fastCounter, 2e6, 8],
    ["Udp_InErrors", Model.constant, 0, 0],
    ["Udp_NoPorts", Model.slowCounter, 800, 0.05],
    ["TcpExt_ListenDrops", Model.constant, 0, 0],
    ["TcpExt_ListenOverflows", Model.constant, 0, 0],
  ] as const) {
    rows.push([`node_netstat_${m}`, [], model, level, rate]);
  }
  rows.push(["node_context_switches_total", [], Model.fastCounter, 5e9, 3e4]);
  rows.push(["node_intr_total", [], Model.fastCounter, 3e9, 2e4]);
  rows.push(["node_forks_total", [], Model.fastCounter, 2e6, 3]);
  rows.push(["node_procs_running", [], Model.intGauge, 2, 1]);
  rows.push(["node_procs_blocked", [], Model.constant, 0, 0]);
  rows.push(["node_boot_time_seconds", [], Model.constant, 1_698_412_345, 0]);
  rows.push(["node_time_seconds", [], Model.clockSeconds, 0, 0]);
  rows.push(["node_entropy_available_bits", [], Model.constant, 256, 0]);
  rows.push(["node_filefd_allocated", [], Model.intGauge, 2_300, 2]);
  rows.push(["node_filefd_maximum", [], Model.constant, 2 ** 63, 0]);
  rows.push(["node_textfile_scrape_error", [], Model.constant, 0, 0]);
  rows.push([
    "node_uname_info",
    [
      ["machine", "x86_64"],
      ["release", "6.1.0-13-amd64"],
      ["sysname", "Linux"],
    ],
    Model.constant,
    1,
    0,
  ]);
  rows.push([
    "node_os_info",
    [
      ["id", "debian"],
      ["version_id", "12"],
    ],
    Model.constant,
    1,
    0,
  ]);
  rows.push([
    "node_exporter_build_info",
    [
      ["goversion", "go1.19.8"],
      ["version", "1.5.0"],
    ],
    Model.constant,
    1,
    0,
  ]);
  for (const collector of [
    "cpu",
    "diskstats",
    "filesystem",
    "loadavg",
    "meminfo",
    "netdev",
    "netstat",
    "stat",
    "vmstat",
    "hwmon",
  ]) {
    const l: [string, string][] = [["collector", collector]];
    rows.push(["node_scrape_collector_success", l, Model.constant, 1, 0]);
    if (collector === "filesystem" || collector === "diskstats") {
      rows.push(["node_scrape_collector_duration_seconds", l, Model.floatGauge, 0.002, 0.0008]);
    }
  }
  return rows;
}

function processRows(): FamilyRow[] {
  const rows: FamilyRow[] = [];
  for (const [group, busy] of [
    ["sshd", 0.01],
    ["systemd", 0.05],
    ["node_exporter", 0.3],
    ["postgres", 1],
    ["nginx", 0.6],
    ["cron", 0.001],
  ] as const) {
    const g: [string, string][] = [["groupname", group]];
    rows.push([
      "namedprocess_namegroup_cpu_seconds_total",
      [...g, ["mode", "user"]],
      Model.floatCounter,
      4e3,
      0.2 * busy,
    ]);
    rows.push([
      "namedprocess_namegroup_cpu_seconds_total",
      [...g, ["mode", "system"]],
      Model.floatCounter,
      2e3,
      0.1 * busy,
    ]);
    rows.push([
      "namedprocess_namegroup_memory_bytes",
      [...g, ["memtype", "resident"]],
      busy > 0.2 ? Model.intGauge : Model.constant,
      1e8,
      4096,
    ]);
    rows.push([
      "namedprocess_namegroup_memory_bytes",
      [...g, ["memtype", "virtual"]],
      Model.constant,
      8e8,
      0,
    ]);
    rows.push([
      "namedprocess_namegroup_memory_bytes",
      [...g, ["memtype", "swapped"]],
      Model.constant,
      0,
      0,
    ]);
    rows.push(["namedprocess_namegroup_num_procs", g, Model.constant, busy > 0.5 ? 9 : 1, 0]);
    rows.push(["namedprocess_namegroup_num_threads", g, Model.constant, 12, 0]);
    rows.push([
      "namedprocess_namegroup_open_filedesc",
      g,
      busy > 0.5 ? Model.intGauge : Model.constant,
      64,
      1,
    ]);
    rows.push(["namedprocess_namegroup_read_bytes_total", g, Model.fastCounter, 1e9, 4e4 * busy]);
    rows.push(["namedprocess_namegroup_write_bytes_total", g, Model.fastCounter, 3e9, 9e4 * busy]);
    rows.push(["namedprocess_namegroup_major_page_faults_total", g, Model.constant, 1200, 0]);
    rows.push(["namedprocess_namegroup_minor_page_faults_total", g, Model.slowCounter, 5e5, 0.3]);
    rows.push([
      "namedprocess_namegroup_context_switches_total",
      [...g, ["ctxswitchtype", "voluntary"]],
      Model.fastCounter,
      7e6,
      200 * busy,
    ]);
    rows.push([
      "namedprocess_namegroup_context_switches_total",
      [...g, ["ctxswitchtype", "nonvoluntary"]],
      Model.slowCounter,
      1e5,
      0.2,
    ]);
    for (const state of ["Running", "Sleeping", "Waiting", "Zombie", "Other"]) {
      rows.push([
        "namedprocess_namegroup_states",
        [...g, ["state", state]],
        Model.constant,
        state === "Sleeping" ? 3 : 0,
        0,
      ]);
    }
    rows.push([
      "namedprocess_namegroup_oldest_start_time_seconds",
      g,
      Model.constant,
      1_698_412_400,
      0,
    ]);
  }
  rows.push(["namedprocess_scrape_errors", [], Model.constant, 0, 0]);
  rows.push(["namedprocess_scrape_procread_errors", [], Model.constant, 0, 0]);
  return rows;
}

function prometheusRows(): FamilyRow[] {
  const rows: FamilyRow[] = [];
  for (const handler of [
    "/api/v1/query",
    "/api/v1/query_range",
    "/api/v1/series",
    "/metrics",
    "/-/ready",
  ]) {
    const h: [string, string][] = [["handler", handler]];
    const quiet = handler === "/-/ready" || handler === "/api/v1/series";
    rows.push([
      "prometheus_http_requests_total",
      [["code", "200"], ...h],
      quiet ? Model.slowCounter : Model.fastCounter,
      2e4,
      quiet ? 0.1 : 1,
    ]);
    rows.push(["prometheus_http_requests_total", [["code", "400"], ...h], Model.constant, 3, 0]);
    for (const le of ["0.1", "0.2", "0.4", "1", "3", "8", "20", "60", "120", "+Inf"]) {
      rows.push([
        "prometheus_http_request_duration_seconds_bucket",
        [...h, ["le", le]],
        quiet ? Model.constant : Model.slowCounter,
        2e4,
        0.2,
      ]);
    }
  }
  for (const quantile of ["0", "0.25", "0.5", "0.75", "1"]) {
    rows.push([
      "go_gc_duration_seconds",
      [["quantile", quantile]],
      Model.floatGauge,
      4e-5 * (1 + Number(quantile) * 4),
      1e-5,
      0.15,
    ]);
  }
  rows.push(["go_goroutines", [], Model.intGauge, 180, 2]);
  rows.push(["go_threads", [], Model.constant, 14, 0]);
  rows.push(["go_memstats_alloc_bytes", [], Model.intGauge, 1.4e8, 65536]);
  rows.push(["go_memstats_alloc_bytes_total", [], Model.fastCounter, 9e11, 3e6]);
  rows.push(["go_memstats_heap_inuse_bytes", [], Model.intGauge, 1.6e8, 8192]);
  rows.push(["go_memstats_sys_bytes", [], Model.constant, 3.1e8, 0]);
  rows.push(["go_memstats_mallocs_total", [], Model.fastCounter, 8e9, 3e4]);
  rows.push(["go_memstats_frees_total", [], Model.fastCounter, 8e9, 3e4]);
  rows.push(["go_memstats_gc_sys_bytes", [], Model.constant, 1.2e7, 0]);
  rows.push(["go_memstats_last_gc_time_seconds", [], Model.clockSeconds, 0, 0, 0.15]);
  rows.push(["process_cpu_seconds_total", [], Model.floatCounter, 3e4, 0.6]);
  rows.push(["process_resident_memory_bytes", [], Model.intGauge, 4e8, 4096]);
  rows.push(["process_virtual_memory_bytes", [], Model.constant, 2.1e9, 0]);
  rows.push(["process_open_fds", [], Model.intGauge, 80, 1]);
  rows.push(["process_max_fds", [], Model.constant, 1_048_576, 0]);
  rows.push(["process_start_time_seconds", [], Model.constant, 1_698_412_401.37, 0]);
  rows.push([
    "prometheus_build_info",
    [
      ["branch", "debian/sid"],
      ["version", "2.42.0"],
    ],
    Model.constant,
    1,
    0,
  ]);
  rows.push(["prometheus_config_last_reload_successful", [], Model.constant, 1, 0]);
  rows.push(["prometheus_tsdb_head_series", [], Model.intGauge, 1500, 1]);
  rows.push(["prometheus_tsdb_head_chunks", [], Model.intGauge, 3000, 3]);
  rows.push([
    "prometheus_tsdb_head_samples_appended_total",
    [["type", "float"]],
    Model.fastCounter,
    3e9,
    1500,
  ]);
  rows.push(["prometheus_tsdb_compactions_total", [], Model.slowCounter, 480, 0.001]);
  rows.push(["prometheus_tsdb_wal_fsync_duration_seconds_sum", [], Model.floatCounter, 30, 0.001]);
  rows.push([
    "prometheus_engine_query_duration_seconds_sum",
    [["slice", "inner_eval"]],
    Model.floatCounter,
    900,
    0.02,
  ]);
  rows.push([
    "prometheus_target_interval_length_seconds",
    [
      ["interval", "10s"],
      ["quantile", "0.99"],
    ],
    Model.floatGauge,
    10.0004,
    0.0003,
    0.1,
  ]);
  for (const rule of ["node", "process", "prometheus", "alerts", "recording"]) {
    rows.push([
      "prometheus_rule_group_last_duration_seconds",
      [["rule_group", rule]],
      Model.floatGauge,
      0.003,
      0.001,
      0.5,
    ]);
    rows.push(["prometheus_rule_group_rules", [["rule_group", rule]], Model.constant, 12, 0]);
    rows.push([
      "prometheus_rule_evaluation_failures_total",
      [["rule_group", rule]],
      Model.constant,
      0,
      0,
    ]);
  }
  for (const reason of ["out_of_order", "duplicate"]) {
    rows.push([
      "prometheus_target_scrapes_sample_rejected_total",
      [["reason", reason]],
      Model.constant,
      0,
      0,
    ]);
  }
  return rows;
}

/** Every series of the dataset, in target order; kinds fitted to REAL_KIND_SHARES exactly. */
function seriesSpecs(): { specs: SeriesSpec[]; targets: number } {
  const targets: { instance: string; job: string; rows: FamilyRow[] }[] = [];
  for (let h = 1; h <= 6; h++) {
    const host = `host-${String(h).padStart(2, "0")}.dc1.example.net`;
    targets.push({ instance: `${host}:9100`, job: "node", rows: nodeRows(h) });
    if (h <= 2) targets.push({ instance: `${host}:9256`, job: "process", rows: processRows() });
  }
  targets.push({
    instance: "prometheus-0.dc1.example.net:9090",
    job: "prometheus",
    rows: prometheusRows(),
  });
  const specs: SeriesSpec[] = [];
  for (let t = 0; t < targets.length; t++) {
    const { instance, job, rows } = targets[t];
    const common = targetLabels(instance, job);
    for (const [name, extra, model, level, rate, changeShare] of [
      ...rows,
      ...scrapeRows(rows.length),
    ]) {
      const labels = [...common, ...extra].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      labels.unshift(["__name__", name]);
      specs.push({ labels, target: t, model, level, rate, changeShare: changeShare ?? 1 });
    }
  }
  for (const s of specs) {
    // Floors that keep a moving series moving within 1.5 h: a counter this
    // slow or a rate this low would read as a constant, another kind.
    if (s.model === Model.slowCounter) s.rate = Math.max(s.rate, 0.03);
    if (s.model === Model.fastCounter) s.rate = Math.max(s.rate, 2);
  }
  return { specs: fitShares(specs), targets: targets.length };
}

/**
 * Cuts or pads the series list to REAL_SERIES and moves series between kinds
 * until each kind's count is its share: a family's kind is kept where the
 * share has room, the overflow takes the kind with the most room left.
 */
function fitShares(all: SeriesSpec[]): SeriesSpec[] {
  const specs = all.slice(0, REAL_SERIES);
  if (specs.length < REAL_SERIES) {
    throw new RangeError(
      `the exporters give ${all.length} series; at least ${REAL_SERIES} are needed`,
    );
  }
  const room = new Map<RealKind, number>();
  let assigned = 0;
  for (const kind of KINDS) {
    const n = kind === "constant" ? 0 : Math.round(REAL_KIND_SHARES[kind] * REAL_SERIES);
    room.set(kind, n);
    assigned += n;
  }
  room.set("constant", REAL_SERIES - assigned);
  const overflow: SeriesSpec[] = [];
  for (const s of specs) {
    const kind = KIND_OF_MODEL[s.model];
    const left = room.get(kind) ?? 0;
    if (left > 0) room.set(kind, left - 1);
    else overflow.push(s);
  }
  for (const s of overflow) {
    let best: RealKind = "constant";
    for (const kind of KINDS) if ((room.get(kind) ?? 0) > (room.get(best) ?? 0)) best = kind;
    room.set(best, (room.get(best) ?? 0) - 1);
    s.model = FALLBACK_MODEL[best];
    // Past 2^40 a counter's increments would be lost in the float's rounding.
    if (best === "integer") s.level = Math.abs(s.level) < 2 ** 40 ? Math.round(s.level) : 0;
    if (best === "gauge2dp") s.level = 1.5;
    if (best === "float") s.level = 0.25;
    s.rate = best === "float" ? 0.01 : 0.2;
  }
  return specs;
}

/** The kind of values a series of a real-shaped dataset holds. */
export function realKindOf(model: number): RealKind {
  return KIND_OF_MODEL[model];
}

/**
 * A real-shaped dataset as a SampleStream: REAL_SERIES series from
 * `startMs` for `durationMs`, in chunks of REAL_CHUNK_MS (the last one may
 * be shorter). Values and timestamps depend on the seed alone.
 */
export class RealSamples implements SampleStream {
  readonly labels: [string, string][][];
  /** Kind of each series' values. */
  readonly kinds: RealKind[];
  /** Target (scrape job and instance) of each series. */
  readonly targetOf: Int32Array;
  readonly chunkCount: number;
  readonly datapoints: number;
  readonly scrapesPerSeries: number;
  private readonly specs: SeriesSpec[];
  private readonly targets: number;
  private readonly startMs: number;
  private readonly seed: number;
  /** Each target's offset of its scrapes within the interval, ms. */
  private readonly offsetMs: Float64Array;

  constructor(options: RealSamplesOptions) {
    const { startMs, durationMs } = options;
    if (!Number.isSafeInteger(startMs) || startMs < 0 || startMs % REAL_CHUNK_MS !== 0) {
      throw new RangeError(
        `startMs must be a non-negative multiple of ${REAL_CHUNK_MS}, got ${startMs}`,
      );
    }
    if (
      !Number.isSafeInteger(durationMs) ||
      durationMs <= 0 ||
      durationMs % REAL_SCRAPE_INTERVAL_MS !== 0
    ) {
      throw new RangeError(
        `durationMs must be a positive multiple of ${REAL_SCRAPE_INTERVAL_MS}, got ${durationMs}`,
      );
    }
    const { specs, targets } = seriesSpecs();
    this.specs = specs;
    this.targets = targets;
    this.labels = specs.map((s) => s.labels);
    this.kinds = specs.map((s) => KIND_OF_MODEL[s.model]);
    this.targetOf = Int32Array.from(specs, (s) => s.target);
    this.startMs = startMs;
    this.seed = (options.seed ?? 1) >>> 0;
    this.scrapesPerSeries = durationMs / REAL_SCRAPE_INTERVAL_MS;
    this.offsetMs = new Float64Array(targets);
    for (let t = 0; t < targets; t++) {
      this.offsetMs[t] = mix32(this.seed ^ mix32(0x51ed270b + t)) % REAL_SCRAPE_INTERVAL_MS;
    }
    let lastMs = startMs;
    for (let t = 0; t < targets; t++) {
      lastMs = Math.max(lastMs, this.scrapeTimeMs(t, this.scrapesPerSeries - 1));
    }
    this.chunkCount = Math.floor((lastMs - startMs) / REAL_CHUNK_MS) + 1;
    this.datapoints = this.scrapesPerSeries * specs.length;
  }

  /**
   * Time of target `t`'s scrape `i`: its ideal time, or now and then a few
   * ms off it (a hash of seed, target and scrape, so that it does not depend
   * on the chunk that asks). Never before the start.
   */
  scrapeTimeMs(t: number, i: number): number {
    const idealMs = this.startMs + this.offsetMs[t] + i * REAL_SCRAPE_INTERVAL_MS;
    const h = mix32(mix32(this.seed + t * 0x27d4eb2f) ^ (i * 0x165667b1));
    if (h / 4294967296 >= JITTER.share) return idealMs;
    const size = JITTER.minMs + ((h >>> 8) % (JITTER.maxMs - JITTER.minMs + 1));
    return Math.max(this.startMs, idealMs + ((h & 1) === 0 ? -size : size));
  }

  /** Yields the chunks in time order; each call starts again from the seed. */
  *chunks(): Iterable<SampleChunk> {
    const n = this.specs.length;
    const rng = new Uint32Array(n);
    for (let s = 0; s < n; s++) rng[s] = mix32(this.seed * 0x9e3779b1 + s * 0x85ebca6b + 1);
    const nextScrape = new Int32Array(this.targets);
    // Per series: the current value (or walk position) and the burst left.
    const value = new Float64Array(n);
    const burst = new Int32Array(n);
    for (let s = 0; s < n; s++) value[s] = this.specs[s].level;
    const scrapeTimes: Float64Array[] = [];
    for (let c = 0; c < this.chunkCount; c++) {
      const from = this.startMs + c * REAL_CHUNK_MS;
      const to = from + REAL_CHUNK_MS;
      for (let t = 0; t < this.targets; t++) {
        const times: number[] = [];
        while (nextScrape[t] < this.scrapesPerSeries) {
          const timeMs = this.scrapeTimeMs(t, nextScrape[t]);
          if (timeMs >= to) break;
          times.push(timeMs);
          nextScrape[t]++;
        }
        scrapeTimes[t] = Float64Array.from(times);
      }
      const offsets = new Int32Array(n + 1);
      for (let s = 0; s < n; s++)
        offsets[s + 1] = offsets[s] + scrapeTimes[this.specs[s].target].length;
      const timesMs = new Float64Array(offsets[n]);
      const values = new Float64Array(offsets[n]);
      for (let s = 0; s < n; s++) {
        const spec = this.specs[s];
        const times = scrapeTimes[spec.target];
        timesMs.set(times, offsets[s]);
        let v = value[s];
        for (let i = 0, at = offsets[s]; i < times.length; i++, at++) {
          switch (spec.model) {
            case Model.constant:
              break;
            case Model.slowCounter:
              if (uniform(rng, s) < spec.rate) v += 1 + Math.floor(uniform(rng, s) * 3);
              break;
            case Model.fastCounter: {
              if (burst[s] > 0) burst[s]--;
              else if (uniform(rng, s) < 0.002) burst[s] = 5 + Math.floor(uniform(rng, s) * 25);
              const rate = spec.rate * (burst[s] > 0 ? 20 : 1);
              v += Math.round(rate * (0.5 + uniform(rng, s)));
              break;
            }
            case Model.intGauge:
              if (uniform(rng, s) < 0.4) {
                const steps = Math.floor(uniform(rng, s) * 5) - 2;
                v = Math.max(0, v + steps * spec.rate);
              }
              break;
            case Model.gauge2dp: {
              // Mean-reverting walk around the level, rounded to hundredths.
              const walk =
                value[s] + (spec.level - value[s]) * 0.05 + (uniform(rng, s) - 0.5) * spec.rate;
              value[s] = Math.max(0, walk);
              v = Math.round(value[s] * 100) / 100;
              break;
            }
            case Model.floatCounter:
              // The kernel counts finer than it reports: keep the exact sum, report whole ms.
              value[s] += spec.rate * (0.8 + 0.4 * uniform(rng, s));
              v = Math.round(value[s] * 1000) / 1000;
              break;
            case Model.floatGauge:
              if (i === 0 && v === spec.level) v = spec.level + uniform(rng, s) * spec.rate;
              else if (uniform(rng, s) < spec.changeShare) {
                v = spec.level + (uniform(rng, s) - 0.5) * 2 * spec.rate;
              }
              break;
            case Model.clockSeconds:
              if (i === 0 && v === spec.level) v = times[i] / 1000 + uniform(rng, s) * 1e-3;
              else if (uniform(rng, s) < spec.changeShare) {
                v = times[i] / 1000 + uniform(rng, s) * 1e-3;
              }
              break;
          }
          values[at] = v;
        }
        if (spec.model !== Model.gauge2dp && spec.model !== Model.floatCounter) value[s] = v;
      }
      yield { startMs: from, endMs: to, offsets, timesMs, values };
    }
  }
}

/** A real-shaped dataset by name, from `startMs`. */
export function realDataset(name: RealDatasetName, startMs: number, seed = 1): RealSamples {
  return new RealSamples({ startMs, durationMs: REAL_DATASETS[name].hours * 3_600_000, seed });
}

/** Bytes of a series' label set as the text formats spell it: `name{a="x",...}`. */
export function labelSetBytes(labels: [string, string][]): number {
  return Buffer.byteLength(seriesPrefix(labels));
}

/** A 32-bit hash finalizer: spreads a seed's bits so nearby seeds give unrelated streams. */
function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Next draw in [0, 1) of the generator in state slot `i` (mulberry32). */
function uniform(state: Uint32Array, i: number): number {
  state[i] = (state[i] + 0x6d2b79f5) >>> 0;
  let x = state[i];
  x = Math.imul(x ^ (x >>> 15), x | 1);
  x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
}
