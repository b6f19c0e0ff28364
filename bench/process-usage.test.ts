// Reading a process's CPU time and RSS out of /proc's text.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cpuSeconds, statCpuSeconds, statusRssMb } from "./process-usage.js";

test("statCpuSeconds adds utime and stime, in 1/100 s ticks, past a command name with spaces and parentheses", () => {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
  const stat = "4242 (node (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 56 0 0 20 0 11 0 99";
  assert.equal(statCpuSeconds(stat), 12.9);
});

test("statCpuSeconds refuses text that is not a stat line", () => {
  assert.throws(() => statCpuSeconds("4242 (node) S 1"), RangeError);
});

test("statusRssMb reads VmRSS in MiB, and 0 for a process without one", () => {
  assert.equal(
    statusRssMb("Name:\tnode\nVmPeak:\t  999 kB\nVmRSS:\t  204800 kB\nThreads:\t11\n"),
    200,
  );
  assert.equal(statusRssMb("Name:\tnode\nState:\tZ (zombie)\n"), 0);
});

test("cpuSeconds of this process grows with the work it does", () => {
  const before = cpuSeconds(process.pid);
  const t0 = performance.now();
  let x = 0;
  // Spin until the kernel has charged at least two ticks.
  while (cpuSeconds(process.pid) < before + 0.02 && performance.now() - t0 < 10_000)
    x += Math.sqrt(x + 1);
  assert.ok(cpuSeconds(process.pid) >= before + 0.02, `x=${x}`);
});
