import assert from "node:assert/strict";
import { stat, truncate } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { nodeFileSystem } from "../../x/index.js";
import { listCommitLogFiles } from "../commitlog/index.js";
import { noFindings } from "./bootstrapper.js";
import { commitLogBootstrapper, replayCommitLog } from "./commitlog.js";
import {
  contextOf,
  FakeTarget,
  HOUR,
  MIN,
  namespaceOf,
  T0,
  tempDir,
  writeCommitLogs,
} from "./testing.js";

const NOW = T0 + HOUR;

/** Two commit log files: 0 holds a live, a dropped namespace's and an expired datapoint; 1 one more. */
async function twoFiles(): Promise<string> {
  const root = await tempDir();
  await writeCommitLogs(join(root, "commitlogs"), [
    [
      ["m", "a", NOW - MIN, 1],
      ["gone", "a", NOW - MIN, 2],
      ["m", "a", NOW - 30 * HOUR, 3],
    ],
    [["m", "b", NOW - MIN, 4]],
  ]);
  return root;
}

test("every file is replayed into its namespace; a dropped namespace's and expired datapoints are skipped", async () => {
  const root = await twoFiles();
  const m = namespaceOf("m");
  const ctx = contextOf(root, new FakeTarget(NOW, [m]));
  await commitLogBootstrapper.bootstrap(ctx, noFindings());
  assert.deepEqual(m.pointsOf("a"), [[NOW - MIN, 1]]);
  assert.deepEqual(m.pointsOf("b"), [[NOW - MIN, 4]]);
  assert.equal(ctx.progress.filesTotal, 2);
  assert.equal(ctx.progress.datapointsReplayed, 2);
  assert.equal(ctx.progress.datapointsSkipped, 2);
  assert.deepEqual(ctx.progress.corruptFiles, []);
});

test("replay starts at the file the snapshot covers up to", async () => {
  const root = await twoFiles();
  const m = namespaceOf("m");
  const ctx = contextOf(root, new FakeTarget(NOW, [m]));
  const found = noFindings();
  found.commitLogFromIndex = 1;
  await commitLogBootstrapper.bootstrap(ctx, found);
  assert.deepEqual(m.pointsOf("a"), []);
  assert.deepEqual(m.pointsOf("b"), [[NOW - MIN, 4]]);
  assert.equal(ctx.progress.filesTotal, 1);
});

test("files older than a namespace hold a dropped namespace of its name: they are skipped", async () => {
  const root = await twoFiles();
  const m = namespaceOf("m", {}, 1);
  const ctx = contextOf(root, new FakeTarget(NOW, [m]));
  await replayCommitLog(ctx);
  assert.deepEqual(m.ids.length, 1);
  assert.deepEqual(m.pointsOf("b"), [[NOW - MIN, 4]]);
  assert.equal(ctx.progress.datapointsSkipped, 3);
});

test("a datapoint its namespace refuses is counted as skipped", async () => {
  const root = await twoFiles();
  const m = namespaceOf("m");
  m.refuse.add(NOW - MIN);
  const ctx = contextOf(root, new FakeTarget(NOW, [m]));
  await replayCommitLog(ctx);
  assert.equal(ctx.progress.datapointsReplayed, 0);
  assert.equal(ctx.progress.datapointsSkipped, 4);
});

test("a torn tail stops the replay of its file, and is reported and logged", async () => {
  const root = await twoFiles();
  const files = await listCommitLogFiles(join(root, "commitlogs"), nodeFileSystem);
  const newest = files[files.length - 1].path;
  await truncate(newest, (await stat(newest)).size - 3);
  const m = namespaceOf("m");
  const ctx = contextOf(root, new FakeTarget(NOW, [m]));
  await replayCommitLog(ctx);
  assert.deepEqual(m.pointsOf("a"), [[NOW - MIN, 1]]);
  assert.deepEqual(m.pointsOf("b"), []);
  assert.ok(ctx.progress.skippedBytes > 0);
  assert.equal(ctx.progress.corruptFiles.length, 1);
  assert.ok(ctx.logger.entries.some((e) => e.level === "warn" && /stopped early/.test(e.message)));
});
