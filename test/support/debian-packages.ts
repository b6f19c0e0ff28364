// Installs the Debian packages a test or benchmark needs (the real
// Prometheus, VictoriaMetrics, etcd), refreshing the package lists once
// when a fresh machine has none, and the error of a tool outside m3ts.
import { spawnSync } from "node:child_process";

/** Bound of one apt-get run. */
const APT_INSTALL_MS = 15 * 60_000;
/** Last characters of a tool's output kept for the error message. */
const OUTPUT_TAIL_CHARS = 4_000;

/** A tool or package outside m3ts failed: which one, what it was asked, and what it said. */
export class ExternalToolError extends Error {
  readonly code = "M3TS_ERR_EXTERNAL_TOOL";
  readonly tool: string;
  readonly detail: string;
  constructor(fields: { tool: string; action: string; detail: string }) {
    super(`${fields.tool}: ${fields.action} failed: ${fields.detail}`);
    this.name = "ExternalToolError";
    this.tool = fields.tool;
    this.detail = fields.detail;
  }
}

/** Installs the Debian packages among `names` that are not installed yet. */
export function ensureDebianPackages(names: string[]): void {
  const missing = names.filter((name) => {
    const status = spawnSync("dpkg", ["-s", name], { encoding: "utf8" });
    return status.status !== 0 || !/^Status: install ok installed$/m.test(status.stdout);
  });
  if (missing.length === 0) return;
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () =>
    spawnSync("apt-get", ["install", "-y", ...missing], {
      encoding: "utf8",
      env,
      timeout: APT_INSTALL_MS,
      maxBuffer: 64 << 20,
    });
  let result = install();
  if (result.status !== 0) {
    // A fresh container often has no package lists yet: refresh them once, then retry.
    spawnSync("apt-get", ["update"], { encoding: "utf8", env, timeout: APT_INSTALL_MS });
    result = install();
  }
  if (result.error !== undefined || result.status !== 0) {
    const why = result.error?.message ?? `exit status ${result.status}`;
    throw new ExternalToolError({
      tool: "apt-get",
      action: `install -y ${missing.join(" ")} (needs root and the Debian archive)`,
      detail: `${why}\n${`${result.stdout ?? ""}${result.stderr ?? ""}`.slice(-OUTPUT_TAIL_CHARS)}`,
    });
  }
}
