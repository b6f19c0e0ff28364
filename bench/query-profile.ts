// Where m3ts's time goes during bench:query's timed queries: sums the self
// time of a V8 CPU profile (Node's --cpu-prof, written by the m3ts process
// that `bench:query --cpu-prof DIR` starts) by part of the code (the folder
// under src/, a dependency, Node's internals, V8's own work), inside the time
// windows the bench recorded in DIR/phases.json. Both use the monotonic
// clock in µs (V8's profile times and process.hrtime share it on Linux).
//
// Usage: node dist/bench/query-profile.js DIR [--phase queries] [--top 25]
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The parts of a .cpuprofile this reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A time window in µs of the monotonic clock. */
export interface Phase {
  name: string;
  fromUs: number;
  toUs: number;
}

export const PHASES_FILE = "phases.json";

/** The part of the code a frame belongs to, from its script's URL. */
export function partOf(url: string, functionName: string): string {
  if (url === "") {
    // V8's pseudo-frames are spelled "(garbage collector)", "(program)", "(idle)".
    return functionName.startsWith("(") ? functionName : `(native) ${functionName}`;
  }
  const src = url.lastIndexOf("/src/");
  if (src >= 0) {
    const parts = url.slice(src + 5).split("/");
    // Folders with rooms of their own are split one level further.
    const deep = parts[0] === "query" || parts[0] === "dbnode" || parts[0] === "coordinator";
    return deep && parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0].replace(/\.js$/, "");
  }
  const modules = url.lastIndexOf("/node_modules/");
  if (modules >= 0) {
    const rest = url.slice(modules + 14).split("/");
    return `dep ${rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (url.startsWith("node:")) {
    const m = /^node:(?:internal\/)?([^/]+)/.exec(url);
    return `node ${m?.[1] ?? url}`;
  }
  return url;
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time per part, largest first. */
  parts: [string, number][];
  /** Self time per function ("name file:line"), largest first. */
  functions: [string, number][];
}

/** Sums self time per part and per function over the samples inside `windows` (all when empty). */
export function summarizeProfile(profile: CpuProfile, windows: readonly Phase[]): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const parts = new Map<string, number>();
  const functions = new Map<string, number>();
  let totalUs = 0;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i];
    // A sample's time is charged to the sample that ends it: the next delta.
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (windows.length > 0 && !windows.some((w) => at >= w.fromUs && at < w.toUs)) continue;
    const frame = byId.get(profile.samples[i]);
    if (frame === undefined) continue;
    const part = partOf(frame.url, frame.functionName);
    parts.set(part, (parts.get(part) ?? 0) + us);
    const file = frame.url.slice(frame.url.lastIndexOf("/") + 1);
    const fn = `${frame.functionName || "(anonymous)"} ${file}:${frame.lineNumber + 1}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
    totalUs += us;
  }
  const sorted = (m: Map<string, number>): [string, number][] =>
    [...m].map(([k, v]): [string, number] => [k, v / 1000]).sort((a, b) => b[1] - a[1]);
  return { totalMs: totalUs / 1000, parts: sorted(parts), functions: sorted(functions) };
}

function main(argv: string[]): void {
  const dir = argv[0];
  if (dir === undefined || dir.startsWith("--")) {
    throw new Error("usage: query-profile DIR [--phase NAME] [--top N]");
  }
  let phase = "queries";
  let top = 25;
  for (let i = 1; i < argv.length; i += 2) {
    if (argv[i] === "--phase") phase = argv[i + 1];
    else if (argv[i] === "--top") top = Number(argv[i + 1]);
    else throw new Error(`unknown flag ${argv[i]}; allowed: --phase --top`);
  }
  const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  if (files.length !== 1) {
    throw new Error(`expected one .cpuprofile in ${dir}, found ${files.length}`);
  }
  const phases = JSON.parse(readFileSync(join(dir, PHASES_FILE), "utf8")) as Phase[];
  const windows = phases.filter((p) => p.name === phase);
  if (windows.length === 0) {
    throw new Error(`no phase "${phase}" in ${PHASES_FILE}; it has ${phases.map((p) => p.name)}`);
  }
  const profile = JSON.parse(readFileSync(join(dir, files[0]), "utf8")) as CpuProfile;
  const s = summarizeProfile(profile, windows);
  const wallMs = windows.reduce((n, w) => n + (w.toUs - w.fromUs) / 1000, 0);
  console.log(`profile.${phase}.wall_ms ${wallMs.toFixed(0)} ms`);
  console.log(`profile.${phase}.sampled_ms ${s.totalMs.toFixed(0)} ms`);
  // Parts under half a percent are summed as one line.
  let restMs = 0;
  for (const [part, ms] of s.parts) {
    if (ms < s.totalMs / 200) {
      restMs += ms;
      continue;
    }
    console.log(`profile.part ${ms.toFixed(0)} ms ${((100 * ms) / s.totalMs).toFixed(1)}% ${part}`);
  }
  console.log(
    `profile.part ${restMs.toFixed(0)} ms ${((100 * restMs) / s.totalMs).toFixed(1)}% (rest)`,
  );
  for (const [fn, ms] of s.functions.slice(0, top)) {
    console.log(`profile.function ${ms.toFixed(0)} ms ${fn}`);
  }
}

if (process.argv[1]?.endsWith("query-profile.js")) main(process.argv.slice(2));
