// A real one-member etcd (Debian `etcd-server` 3.4) for tests: loopback
// ports picked free, a temp data dir, optional TLS with client-certificate
// auth; stop and restart on the same ports and data, as "etcd restarted
// under load" needs. Only the process started here is ever signalled.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
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
/** Tries of a first start, each on fresh ports (another process may take a free port first). */
const START_ATTEMPTS = 3;
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
  const dataDir = join(dir, "data");
  const logPath = join(dir, "etcd.log");
  const log = () => (existsSync(logPath) ? readFileSync(logPath, "utf8") : "");
  let child: ChildProcess | null = null;
  const killOnExit = () => child?.kill("SIGKILL");
  process.once("exit", killOnExit);

  const start = async (args: string[], healthUrl: string) => {
    const out = openSync(logPath, "a");
    const c = spawn(ETCD_BIN, args, { stdio: ["ignore", out, out] });
    closeSync(out);
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

  let launch: { args: string[]; healthUrl: string; clientUrl: string } | null = null;
  try {
    // A port found free can be taken by another process before etcd binds
    // it: then start over on other ports, with a fresh data dir.
    for (let attempt = 1; launch === null; attempt++) {
      const l = etcdArgs(await distinctFreePorts(3), dataDir, options.tls);
      try {
        await start(l.args, l.healthUrl);
        launch = l;
      } catch (e) {
        if (attempt >= START_ATTEMPTS || !/address already in use/.test(log())) throw e;
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  } catch (e) {
    process.removeListener("exit", killOnExit);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const { args, healthUrl, clientUrl } = launch;
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
      await start(args, healthUrl);
    },
    cleanup: async () => {
      await stop();
      process.removeListener("exit", killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** etcd's command line for a lone member on `ports` (client, peer, metrics). */
function etcdArgs(
  [clientPort, peerPort, metricsPort]: number[],
  dataDir: string,
  tls: TestCertificates | undefined,
): { args: string[]; healthUrl: string; clientUrl: string } {
  const clientUrl = `${tls === undefined ? "http" : "https"}://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
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
    // /health on a plain-HTTP metrics listener answers whatever the client listener's TLS.
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
  if (tls !== undefined) {
    args.push(
      "--cert-file",
      tls.serverCertFile,
      "--key-file",
      tls.serverKeyFile,
      "--trusted-ca-file",
      tls.caFile,
      "--client-cert-auth",
    );
  }
  return { args, healthUrl: `http://127.0.0.1:${metricsPort}/health`, clientUrl };
}

/** `n` free loopback ports, all different (a freed port may be handed out again). */
async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freeLoopbackPort());
  return [...ports];
}
