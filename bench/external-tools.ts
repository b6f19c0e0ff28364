// Running the external tools and servers the disk benchmarks compare against:
// a command run to completion, a server stopped, a free loopback port, HTTP
// requests, the size of a directory tree, all with bounded waits and errors
// that carry the tail of what the tool said.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import { createServer } from "node:net";
import * as path from "node:path";
import { ExternalToolError } from "../test/support/debian-packages.js";

/** Bounds shared by every tool below. */
const LIMITS = {
  httpRequestMs: 5 * 60_000,
  /** Last bytes of a tool's output kept for error messages. */
  outputTailChars: 4_000,
} as const;

/** Runs a command to completion; rejects with its output's tail on failure or timeout. */
export function runTool(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (data: Buffer) => {
      output = tail(output + data.toString("utf8"));
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    const action = `${cmd} ${args.join(" ")}`;
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new ExternalToolError({ tool: cmd, action, detail: err.message }));
    });
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      if (status === 0) resolve(output);
      else {
        const why =
          signal !== null ? `killed by ${signal} (limit ${timeoutMs} ms)` : `exit ${status}`;
        reject(new ExternalToolError({ tool: cmd, action, detail: `${why}\n${output}` }));
      }
    });
  });
}

/** Sends SIGTERM, then SIGKILL if the process has not exited within `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), graceMs);
  });
  const late = await Promise.race([exited.then(() => false), timedOut]);
  clearTimeout(timer);
  if (late) {
    child.kill("SIGKILL");
    await exited;
  }
}

/** An error naming the tool and its log's tail if the server has exited, else null. */
export function exitedEarly(
  child: ChildProcess,
  tool: string,
  logPath: string,
): ExternalToolError | null {
  if (child.exitCode === null && child.signalCode === null) return null;
  return new ExternalToolError({
    tool,
    action: "run",
    detail: `exited (${child.exitCode ?? child.signalCode}); log:\n${readTail(logPath)}`,
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : -1;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no port assigned"))));
    });
  });
}

/** One HTTP request with a time limit; a non-2xx answer is an ExternalToolError naming the tool. */
export async function httpRequest(
  url: string,
  tool: string,
  body?: string | URLSearchParams,
): Promise<string> {
  const method = body === undefined ? "GET" : "POST";
  const res = await fetch(url, { method, body, signal: AbortSignal.timeout(LIMITS.httpRequestMs) });
  const text = await res.text();
  if (!res.ok) {
    throw new ExternalToolError({
      tool,
      action: `${method} ${url}`,
      detail: `HTTP ${res.status}: ${tail(text)}`,
    });
  }
  return text;
}

/** A GET with httpRequest's time limit; a non-2xx answer is an error. */
export function httpGet(url: string): Promise<string> {
  return httpRequest(url, "http");
}

/** POSTs a form (as the Prometheus query API takes it) and returns the body. */
export function httpPost(url: string, form: Record<string, string | number>): Promise<string> {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) body.set(key, String(value));
  return httpRequest(url, "http", body);
}

/**
 * Sum of the sizes of the regular files under `dir`, recursively (apparent
 * sizes, not blocks); a file's own size when `dir` is a file, 0 when it does
 * not exist.
 */
export function treeBytes(dir: string): number {
  let total = 0;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A part directory may vanish between listing and reading while a store merges.
    if (code === "ENOENT") return 0;
    if (code === "ENOTDIR") return fs.statSync(dir).size;
    throw err;
  }
  for (const entry of entries) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) total += treeBytes(p);
    else if (entry.isFile()) {
      try {
        total += fs.statSync(p).size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      }
    }
  }
  return total;
}

/** The last LIMITS.outputTailChars characters of a tool's output. */
export function tail(text: string): string {
  return text.length <= LIMITS.outputTailChars ? text : text.slice(-LIMITS.outputTailChars);
}

/** The tail of a log file, or "(no log)" when it cannot be read. */
export function readTail(filePath: string): string {
  try {
    return tail(fs.readFileSync(filePath, "utf8"));
  } catch {
    return "(no log)";
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A tree's size as `du -sb` (apparent) and `du -sB1` (allocated) count it. */
export interface DuBytes {
  /** st_size of every file, directory and link, the top one included. */
  apparentBytes: number;
  /** st_blocks × 512 of the same. */
  allocatedBytes: number;
}

/**
 * Measures a tree as du does: every entry (directories too) once, hard
 * links once by inode; zero when `p` does not exist. An entry that vanishes
 * while a store merges is skipped.
 */
export function duBytes(p: string, seen: Set<string> = new Set()): DuBytes {
  const out: DuBytes = { apparentBytes: 0, allocatedBytes: 0 };
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return out;
    throw err;
  }
  const key = `${st.dev}:${st.ino}`;
  if (seen.has(key)) return out;
  seen.add(key);
  out.apparentBytes += st.size;
  out.allocatedBytes += st.blocks * 512;
  if (!st.isDirectory()) return out;
  let names: string[];
  try {
    names = fs.readdirSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return out;
    throw err;
  }
  for (const name of names) {
    const sub = duBytes(path.join(p, name), seen);
    out.apparentBytes += sub.apparentBytes;
    out.allocatedBytes += sub.allocatedBytes;
  }
  return out;
}

/** du sizes of each top-level entry of `dir`, by name. */
export function duTopLevel(dir: string): Record<string, DuBytes> {
  const out: Record<string, DuBytes> = {};
  for (const name of fs.readdirSync(dir).sort()) out[name] = duBytes(path.join(dir, name));
  return out;
}

/** Peak resident memory of a running process (VmHWM), in bytes; -1 when it cannot be read. */
export function peakRssBytes(pid: number | undefined): number {
  if (pid === undefined) return -1;
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? -1 : Number(m[1]) * 1024;
  } catch {
    return -1;
  }
}
