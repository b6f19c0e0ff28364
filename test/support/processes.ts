// Child processes for end-to-end tests: free loopback ports, `m3ts start`
// with a generated configuration, waits bounded in time, and stops that touch
// only what the test started.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

const ROOT = new URL("../../../", import.meta.url).pathname;

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 200, the child exits, or `timeoutMs` passes. */
export async function waitForOk(
  url: string,
  child: ChildProcess | null,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    if (child !== null && child.exitCode !== null) {
      throw new Error(`process exited with ${child.exitCode} before ${url} was ready`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms (last: ${last})`);
}

/** Sends `signal` and waits for the exit; SIGKILL after `graceMs`. Returns the exit code (null if killed). */
export async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals,
  graceMs: number,
): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

export interface M3tsProcess {
  child: ChildProcess;
  port: number;
  base: string;
  logPath: string;
  log(): string;
}

/** The m3ts command's script, to run with process.execPath. */
export const M3TS_BIN = join(ROOT, "bin/m3ts.js");

/**
 * Writes `dir/m3ts.yml` for a test or benchmark node: data under `dir/data`,
 * HTTP on 127.0.0.1:`port`, warnings only, no carbon, plus `extraYaml`
 * (further top-level sections). Returns the file's path.
 */
export function writeM3tsConfig(dir: string, port: number, extraYaml: string): string {
  const path = join(dir, "m3ts.yml");
  writeFileSync(
    path,
    [
      `dataDir: ${JSON.stringify(join(dir, "data"))}`,
      "logging:",
      "  level: warn",
      "coordinator:",
      `  listenAddress: "127.0.0.1:${port}"`,
      "carbon:",
      "  enabled: false",
      extraYaml,
    ].join("\n"),
  );
  return path;
}

/** Starts `m3ts start` on a free loopback port with its data under `dir`; resolves once /ready is 200. */
export async function startM3ts(
  dir: string,
  options: { yaml?: string; port?: number; readyTimeoutMs?: number } = {},
): Promise<M3tsProcess> {
  mkdirSync(dir, { recursive: true });
  const port = options.port ?? (await freeLoopbackPort());
  const configPath = writeM3tsConfig(dir, port, options.yaml ?? "");
  const logPath = join(dir, `m3ts-${port}-${Date.now()}.log`);
  const out = openSync(logPath, "a");
  const child = spawn(process.execPath, [M3TS_BIN, "start", "--config", configPath], {
    stdio: ["ignore", out, out],
  });
  const base = `http://127.0.0.1:${port}`;
  const log = () => readFileSync(logPath, "utf8");
  try {
    await waitForOk(`${base}/ready`, child, options.readyTimeoutMs ?? 60_000);
  } catch (e) {
    child.kill("SIGKILL");
    throw new Error(`${(e as Error).message}\n--- m3ts log ---\n${log().slice(-4000)}`);
  }
  return { child, port, base, logPath, log };
}
