// A cluster of child processes for end-to-end tests: `m3ts dbnode`s and
// `m3ts coordinator`s on loopback ports over an etcd the test started, each
// with its configuration and log under the test's directory, restartable
// with the same ports and data.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freeLoopbackPort, M3TS_BIN, stopChild, waitForOk } from "./processes.js";

/** One process of the cluster, with what it needs to start again as it was. */
export interface ClusterProcess {
  readonly name: string;
  readonly command: "dbnode" | "coordinator";
  /** The coordinator's HTTP port, or the dbnode's /health port. */
  readonly httpPort: number;
  /** The dbnode's node RPC port (0 for a coordinator). */
  readonly rpcPort: number;
  readonly base: string;
  child: ChildProcess | null;
  log(): string;
}

const READY_MS = 60_000;
const STOP_GRACE_MS = 15_000;

function clusterYaml(etcdEndpoints: readonly string[], extra: string): string {
  return [
    "cluster:",
    "  etcd:",
    `    endpoints: ${JSON.stringify(etcdEndpoints.join(","))}`,
    extra,
  ].join("\n");
}

function writeConfig(dir: string, lines: string[]): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "m3ts.yml");
  writeFileSync(path, lines.join("\n"));
  return path;
}

function spawnProcess(p: ClusterProcess, dir: string): void {
  const out = openSync(join(dir, `${p.name}.log`), "a");
  p.child = spawn(process.execPath, [M3TS_BIN, p.command, "--config", join(dir, "m3ts.yml")], {
    stdio: ["ignore", out, out],
  });
}

/** Starts a dbnode; resolves once its /health answers (it serves once a placement holds it). */
export async function startDbnodeProcess(
  root: string,
  hostId: string,
  etcdEndpoints: readonly string[],
  options: { yaml?: string } = {},
): Promise<ClusterProcess> {
  const dir = join(root, hostId);
  const httpPort = await freeLoopbackPort();
  const rpcPort = await freeLoopbackPort();
  writeConfig(dir, [
    `dataDir: ${JSON.stringify(join(dir, "data"))}`,
    "logging:",
    "  level: warn",
    "carbon:",
    "  enabled: false",
    "dbnode:",
    `  hostID: ${JSON.stringify(hostId)}`,
    `  listenAddress: "127.0.0.1:${rpcPort}"`,
    `  httpListenAddress: "127.0.0.1:${httpPort}"`,
    clusterYaml(etcdEndpoints, options.yaml ?? ""),
  ]);
  const p: ClusterProcess = {
    name: hostId,
    command: "dbnode",
    httpPort,
    rpcPort,
    base: `http://127.0.0.1:${httpPort}`,
    child: null,
    log: () => readFileSync(join(dir, `${hostId}.log`), "utf8"),
  };
  await restartProcess(p, root, "/health");
  return p;
}

/** Starts a coordinator; resolves once its /health answers. */
export async function startCoordinatorProcess(
  root: string,
  name: string,
  etcdEndpoints: readonly string[],
  options: { yaml?: string; clusterYaml?: string } = {},
): Promise<ClusterProcess> {
  const dir = join(root, name);
  const httpPort = await freeLoopbackPort();
  writeConfig(dir, [
    `dataDir: ${JSON.stringify(join(dir, "data"))}`,
    "logging:",
    "  level: warn",
    "coordinator:",
    `  listenAddress: "127.0.0.1:${httpPort}"`,
    "carbon:",
    "  enabled: false",
    options.yaml ?? "",
    clusterYaml(etcdEndpoints, options.clusterYaml ?? ""),
  ]);
  const p: ClusterProcess = {
    name,
    command: "coordinator",
    httpPort,
    rpcPort: 0,
    base: `http://127.0.0.1:${httpPort}`,
    child: null,
    log: () => readFileSync(join(dir, `${name}.log`), "utf8"),
  };
  await restartProcess(p, root, "/health");
  return p;
}

/** Starts a stopped (or killed) process again with its configuration and data; waits for `path` to answer 200. */
export async function restartProcess(p: ClusterProcess, root: string, path: string): Promise<void> {
  const dir = join(root, p.name);
  spawnProcess(p, dir);
  try {
    await waitForOk(`${p.base}${path}`, p.child, READY_MS);
  } catch (e) {
    p.child?.kill("SIGKILL");
    throw new Error(`${(e as Error).message}\n--- ${p.name} log ---\n${p.log().slice(-4000)}`);
  }
}

/** SIGKILLs the process and waits until it has exited. */
export async function killProcess(p: ClusterProcess): Promise<void> {
  if (p.child !== null) await stopChild(p.child, "SIGKILL", STOP_GRACE_MS);
}

/** Stops the process with SIGTERM (SIGKILL after a grace period); returns its exit code. */
export async function stopProcess(p: ClusterProcess): Promise<number | null> {
  return p.child === null ? null : stopChild(p.child, "SIGTERM", STOP_GRACE_MS);
}
