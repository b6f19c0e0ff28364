// The table of every key of m3ts's configuration file: its kind, bounds,
// default and meaning. The configuration's type is computed from it
// (M3tsConfig), the loader checks files against it, and a test holds
// docs/reference/configuration.md to it.
import { MAX_REQUEST_TIMEOUT_MS } from "../query/api/index.js";
import { GiB, MiB } from "./config-values.js";
import { NAMESPACES } from "./namespace-entries.js";
import { type ConfigOf, leaf, section } from "./schema.js";

/** Every key of the file apart from `namespaces`, with its kind, default and meaning. */
export const SCHEMA = {
  dataDir: leaf(
    { kind: "string", default: "./data" },
    "Directory of the commit log, filesets, index volumes and the KV.",
  ),
  logging: section("Logs (JSON lines on standard output).", {
    level: leaf(
      { kind: "enum", values: ["debug", "info", "warn", "error"], default: "info" },
      "Least level logged.",
    ),
  }),
  coordinator: section("The HTTP API (ingest, remote read, admin, metrics).", {
    listenAddress: leaf(
      { kind: "address", default: "127.0.0.1:7201" },
      "host:port to listen on; loopback unless set.",
    ),
    maxBodyBytes: leaf(
      { kind: "size", max: GiB, default: "32MiB" },
      "Largest request body, compressed or decoded (413 above).",
    ),
    maxInflightWriteRequests: leaf(
      { kind: "int", min: 1, max: 1_000_000, default: 64 },
      "Write requests handled at once; one more is answered 503 with Retry-After (Prometheus 2.x retries a 5xx always, a 429 only with retry_on_http_429).",
    ),
    maxPendingWriteSamples: leaf(
      { kind: "int", min: 1, max: 1e12, default: 4_000_000 },
      "Samples decoded and not yet acknowledged; past it requests are answered 503.",
    ),
    maxSeriesCacheBytes: leaf(
      { kind: "size", max: 64 * GiB, default: "256MiB" },
      "Memory of remote write's cache of known series (IDs, tags, label keys, slots); when full it is emptied and refills from the next requests.",
    ),
    writeNamespace: leaf(
      { kind: "string", default: "default" },
      "Unaggregated namespace the ingest endpoints write and remote read reads.",
    ),
    remoteRead: section(
      "Bounds of one remote read; past one the read is refused (400), never truncated.",
      {
        maxSeries: leaf(
          { kind: "int", min: 0, max: 1e12, default: 100_000 },
          "Most series matched (0: no bound).",
        ),
        maxDocsScanned: leaf(
          { kind: "int", min: 0, max: 1e12, default: 0 },
          "Most index postings read (0: no bound).",
        ),
        maxSamples: leaf(
          { kind: "int", min: 0, max: 1e12, default: 50_000_000 },
          "Most samples returned (0: no bound).",
        ),
        maxBytesInFrame: leaf(
          { kind: "size", max: GiB, default: "1MiB" },
          "Largest frame of a streamed (XOR chunks) answer.",
        ),
      },
    ),
  }),
  query: section("The Prometheus query API on the coordinator's port (/api/v1/query...).", {
    lookbackDelta: leaf(
      { kind: "duration", min: 1, default: "5m", as: "lookbackDeltaMs" },
      "How far back an instant selector looks for a sample (Prometheus's lookback delta).",
    ),
    timeout: leaf(
      // M3 bounds a request's own timeout to 10m; the configured one too.
      { kind: "duration", min: 1, max: MAX_REQUEST_TIMEOUT_MS, default: "30s", as: "timeoutMs" },
      "Time a query may take, waiting in the queue included; past it, 503 timeout. At most 10m.",
    ),
    maxSeries: leaf(
      { kind: "int", min: 0, max: 1e12, default: 100_000 },
      "Most series one selector may fetch (M3-Limit-Max-Series overrides it; 0: no bound).",
    ),
    requireExhaustive: leaf(
      { kind: "bool", default: true },
      "Past maxSeries, fail (true) or answer the first series with a warning and M3-Results-Limited (false).",
    ),
    maxSamples: leaf(
      { kind: "int", min: 1, max: 1e12, default: 50_000_000 },
      "Most samples a query holds in memory at once (Prometheus's query.max-samples); past it, 422.",
    ),
    maxConcurrent: leaf(
      { kind: "int", min: 1, max: 10_000, default: 20 },
      "Queries evaluated at once (Prometheus's query.max-concurrency).",
    ),
    maxQueued: leaf(
      { kind: "int", min: 0, max: 1_000_000, default: 100 },
      "Queries waiting for a slot; one more is answered 503 unavailable.",
    ),
    logFile: leaf(
      { kind: "string", default: null },
      "File the query log is appended to, one JSON line per query (Prometheus's query_log_file); none when unset.",
    ),
  }),
  carbon: section("Graphite carbon plaintext over TCP.", {
    enabled: leaf({ kind: "bool", default: true }, "Whether the carbon listener runs."),
    listenAddress: leaf({ kind: "address", default: "127.0.0.1:7204" }, "host:port to listen on."),
    maxLineBytes: leaf(
      { kind: "size", max: MiB, default: "4KiB" },
      "Longest line; longer ones are dropped and counted.",
    ),
  }),
  cluster: section(
    "The cluster (m3ts dbnode and m3ts coordinator): etcd holding placement and namespaces, the node RPC between them.",
    {
      env: leaf(
        { kind: "string", default: "default_env" },
        "M3's environment: the etcd keys are _sd.placement/<env>/m3db and _kv/<env>/m3db.node.namespaces.",
      ),
      etcd: section("The etcd cluster (v3 API).", {
        endpoints: leaf(
          { kind: "string", default: "127.0.0.1:2379" },
          "Comma-separated host:port list of etcd's client URLs.",
        ),
        caFile: leaf(
          { kind: "string", default: null },
          "CA certificate (PEM) etcd's server certificate is checked against; TLS when set.",
        ),
        certFile: leaf(
          { kind: "string", default: null },
          "Client certificate (PEM) for etcd, with keyFile.",
        ),
        keyFile: leaf({ kind: "string", default: null }, "Client key (PEM) for etcd."),
      }),
      tls: section(
        "TLS of the node RPC (gRPC): the dbnode serves with certFile and keyFile; the coordinator checks nodes against caFile.",
        {
          caFile: leaf(
            { kind: "string", default: null },
            "CA certificate (PEM) peers are checked against; TLS when set.",
          ),
          certFile: leaf(
            { kind: "string", default: null },
            "This process's certificate (PEM), with keyFile.",
          ),
          keyFile: leaf({ kind: "string", default: null }, "This process's key (PEM)."),
        },
      ),
      writeConsistency: leaf(
        { kind: "enum", values: ["one", "majority", "all"], default: "majority" },
        "Replicas that must acknowledge a write (M3's write consistency level).",
      ),
      readConsistency: leaf(
        {
          kind: "enum",
          values: ["one", "unstrict_majority", "majority", "unstrict_all", "all"],
          default: "unstrict_majority",
        },
        "Replicas that must answer a read (M3's read consistency level); M3-Read-Consistency-Level overrides it per query.",
      ),
    },
  ),
  dbnode: section("A storage node of a cluster (m3ts dbnode).", {
    hostID: leaf(
      { kind: "string", default: null },
      "This node's instance ID in the placement (M3's hostID); m3ts dbnode needs it.",
    ),
    listenAddress: leaf(
      { kind: "address", default: "127.0.0.1:9000" },
      "host:port of the node RPC (gRPC) the coordinator calls.",
    ),
    httpListenAddress: leaf(
      { kind: "address", default: "127.0.0.1:9002" },
      "host:port of the node's /health, /ready and /metrics.",
    ),
  }),
  db: section("The database.", {
    numShards: leaf(
      { kind: "int", min: 1, max: 4096, default: 64 },
      "Shards per namespace (M3's local placement: 64); fixed once data exists.",
    ),
    commitLog: section("The commit log.", {
      strategy: leaf(
        { kind: "enum", values: ["wait", "behind"], default: "wait" },
        "wait: acknowledge after fdatasync (nothing acknowledged is lost); behind: acknowledge at once.",
      ),
      flushInterval: leaf(
        // null: the commit log's own default, which depends on the strategy.
        { kind: "duration", min: 0, default: null, as: "flushIntervalMs" },
        "Longest wait before pending records are written (default 2ms for wait, 1s for behind).",
      ),
      flushMaxBytes: leaf(
        // The commit log's own bound on one write.
        { kind: "size", max: GiB, default: null },
        "Pending bytes that trigger a write (default 512KiB).",
      ),
    }),
    cache: section("Blocks read from disk kept in memory.", {
      policy: leaf(
        { kind: "enum", values: ["none", "all", "recently_read", "lru"], default: "lru" },
        "M3's series cache policy.",
      ),
      maxBlocks: leaf(
        { kind: "int", min: 1, max: 1e9, default: 65_536 },
        "Most blocks the lru policy keeps.",
      ),
    }),
    tickInterval: leaf(
      // A zero pause would make the tick loop spin.
      { kind: "duration", min: 1, default: "10s", as: "tickIntervalMs" },
      "Pause between background ticks (flushes, snapshots, retention).",
    ),
    snapshotInterval: leaf(
      { kind: "duration", min: 1, default: "1m", as: "snapshotIntervalMs" },
      "Least time between snapshots.",
    ),
    maxOpenFiles: leaf(
      { kind: "int", min: 1, max: 1_000_000, default: 512 },
      "Most fileset files held open for reads (keep it well under the process's open-file limit).",
    ),
    compaction: section("Merging old blocks' m3ts-format volumes into longer ones.", {
      enabled: leaf({ kind: "bool", default: true }, "Whether old volumes are compacted (bool)."),
      after: leaf(
        { kind: "duration", min: 0, default: "2h", as: "afterMs" },
        "How long after a span could last be flushed before its volumes are merged (duration).",
      ),
      maxSpan: leaf(
        { kind: "duration", min: 0, default: null, as: "maxSpanMs" },
        "Longest compacted volume (duration; default a tenth of the namespace's retention, at most 31 days).",
      ),
    }),
  }),
};

/** The whole file: the keys above, then the namespaces created at start. */
export const CONFIG_SCHEMA = { ...SCHEMA, namespaces: NAMESPACES };

/** Everything `m3ts start` needs, checked; durations in ms, sizes in bytes. */
export type M3tsConfig = ConfigOf<typeof CONFIG_SCHEMA>;
