// A real one-member etcd (Debian `etcd-server` 3.4) for tests: loopback
// ports picked free, a temp data dir, optional TLS with client-certificate
// auth; stop and restart on the same ports and data, as "etcd restarted
// under load" needs. Only the process started here is ever signalled.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDebianPackages } from "./debian-packages.js";
import { freeLoopbackPort, stopChild, waitForOk } from "./processes.js";
import type { TestCertificates } from "./tls.js";

export const ETCD_BIN = "/usr/bin/etcd";
/** Bound of the wait for a started etcd to answer /health. */
const READY_TIMEOUT_MS = 30_000;
/** Grace between SIGTERM and SIGKILL. */
const STOP_GRACE_MS = 5_000;
/** Last characters of etcd's log kept in an error message. */
const LOG_TAIL_CHARS = 4_000;

export interface EtcdOptions {
  /** Serve clients over TLS with these certificates, requiring a client certificate signed by the CA. */
  tls?: TestCertificates;
}

export interface EtcdProcess {
  /** The client URLs ("http://127.0.0.1:P", or https with TLS), for an etcd client's endpoints. */
  readonly endpoints: string[];
  readonly dataDir: string;
  /** True between a start and a stop. */
  readonly running: boolean;
  /** etcd's own log so far. */
  log(): string;
  /** SIGTERM, then SIGKILL after a grace; keeps the data dir. */
  stop(): Promise<void>;
  /** SIGKILL at once (a crash); keeps the data dir. */
  kill(): Promise<void>;
  /** Stops (if running) and starts again on the same ports and data dir; resolves once it answers. */
  restart(): Promise<void>;
  /** Stops and removes the data dir. */
  cleanup(): Promise<void>;
}

/** Installs etcd-server if missing, starts a one-member etcd on free loopback ports, and waits until it is healthy. */
export async function startEtcd(options: EtcdOptions = {}): Promise<EtcdProcess> {
  if (!existsSync(ETCD_BIN)) ensureDebianPackages(["etcd-server"]);
  const dir = mkdtempSync(join(tmpdir(), "m3ts-etcd-"));
  const [clientPort, peerPort, metricsPort] = await distinctFreePorts(3);
  const scheme = options.tls === undefined ? "http" : "https";
  const clientUrl = `${scheme}://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  // /health on a plain-HTTP metrics listener answers whatever the client listener's TLS.
  const healthUrl = `http://127.0.0.1:${metricsPort}/health`;
  const dataDir = join(dir, "data");
  const logPath = join(dir, "etcd.log");
  const args = [
    "--name",
    "default",
    "--data-dir",
    dataDir,
    "--listen-client-urls",
    clientUrl,
    "--advertise-client-urls",
    clientUrl,
    "--listen-peer-urls",
    peerUrl,
    "--initial-advertise-peer-urls",
    peerUrl,
    "--initial-cluster",
    `default=${peerUrl}`,
    "--listen-metrics-urls",
    `http://127.0.0.1:${metricsPort}`,
    // A lone member elects itself after one election timeout: keep it short.
    "--heartbeat-interval",
    "20",
    "--election-timeout",
    "200",
    "--logger",
    "zap",
    "--log-level",
    "warn",
  ];
  if (options.tls !== undefined) {
    args.push(
      "--cert-file",
      options.tls.serverCertFile,
      "--key-file",
      options.tls.serverKeyFile,
      "--trusted-ca-file",
      options.tls.caFile,
      "--client-cert-auth",
    );
  }

  let child: ChildProcess | null = null;
  const log = () => (existsSync(logPath) ? readFileSync(logPath, "utf8") : "");
  const killOnExit = () => child?.kill("SIGKILL");
  process.once("exit", killOnExit);

  const start = async () => {
    const out = openSync(logPath, "a");
    const c = spawn(ETCD_BIN, args, { stdio: ["ignore", out, out] });
    child = c;
    try {
      await waitForOk(healthUrl, c, READY_TIMEOUT_MS);
    } catch (e) {
      await stopChild(c, "SIGKILL", STOP_GRACE_MS);
      child = null;
      throw new Error(
        `etcd did not become healthy: ${(e as Error).message}\n--- etcd log ---\n${log().slice(-LOG_TAIL_CHARS)}`,
      );
    }
  };
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    const c = child;
    if (c === null) return;
    await stopChild(c, signal, STOP_GRACE_MS);
    child = null;
  };

  try {
    await start();
  } catch (e) {
    process.removeListener("exit", killOnExit);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    endpoints: [clientUrl],
    dataDir,
    get running() {
      return child !== null;
    },
    log,
    stop: () => stop(),
    kill: () => stop("SIGKILL"),
    restart: async () => {
      await stop();
      await start();
    },
    cleanup: async () => {
      await stop();
      process.removeListener("exit", killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `n` free loopback ports, all different (a freed port may be handed out again). */
async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freeLoopbackPort());
  return [...ports];
}
