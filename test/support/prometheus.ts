// A real Prometheus (the Debian package) for end-to-end tests: started on a
// loopback port with a given configuration, and a bounded wait for a condition.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freeLoopbackPort, waitForOk } from "./processes.js";

export interface PrometheusProcess {
  child: ChildProcess;
  base: string;
  log: () => string;
}

/**
 * Starts `prometheus` with `config` and its TSDB under `dir`; resolves once
 * /-/ready is 200. `selfTarget`, when given, is a placeholder in `config`
 * replaced by Prometheus's own port (so it can scrape itself).
 */
export async function startPrometheus(
  dir: string,
  config: string,
  options: { selfTarget?: string } = {},
): Promise<PrometheusProcess> {
  mkdirSync(dir, { recursive: true });
  const port = await freeLoopbackPort();
  const text =
    options.selfTarget === undefined ? config : config.replaceAll(options.selfTarget, String(port));
  writeFileSync(join(dir, "prometheus.yml"), text);
  const logPath = join(dir, "prometheus.log");
  const out = openSync(logPath, "a");
  const child = spawn(
    "prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ["ignore", out, out] },
  );
  const base = `http://127.0.0.1:${port}`;
  const log = () => readFileSync(logPath, "utf8");
  try {
    await waitForOk(`${base}/-/ready`, child, 60_000);
  } catch (e) {
    child.kill("SIGKILL");
    throw new Error(`${(e as Error).message}\n${log().slice(-3000)}`);
  }
  return { child, base, log };
}

/** Polls `check` every 250 ms until it is true; throws naming `what` after `timeoutMs`. */
export async function until(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}
