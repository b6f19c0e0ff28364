// CPU time and resident memory of a running process, read from Linux's
// /proc/<pid>/stat and /proc/<pid>/status, for the benchmarks that load a
// server and charge it for what it used.
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc's times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS_PER_S = 100;

/** CPU seconds (user + system) in the text of a /proc/<pid>/stat. */
export function statCpuSeconds(stat: string): number {
  // Fields after the command name, which may hold spaces and parentheses:
  // state is [0], utime [11], stime [12].
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new RangeError(`not a /proc/<pid>/stat line: "${stat.slice(0, 200)}"`);
  }
  return (utime + stime) / CLOCK_TICKS_PER_S;
}

/** Resident set size in MB (MiB) in the text of a /proc/<pid>/status; 0 when it has none (a zombie). */
export function statusRssMb(status: string): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m === null ? 0 : Number(m[1]) / 1024;
}

/** CPU seconds process `pid` has used so far. */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(readFileSync(`/proc/${pid}/stat`, "utf8"));
}

/** Resident set size of process `pid` now, in MB. */
export function rssMb(pid: number): number {
  return statusRssMb(readFileSync(`/proc/${pid}/status`, "utf8"));
}
