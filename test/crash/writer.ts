// The crash test's writer: a child process that writes batches to a database
// as fast as it can and journals each batch before it is sent and once it is
// acknowledged. The parent kills it with SIGKILL at random moments.
//
// The journal is written with writeSync to a file: each line is in the
// kernel before the next step, so a kill loses none (stdout, a pipe, can
// queue lines in the process when the reader falls behind, and lose them).
//
// In "flush" mode the database's clock is the sequence itself (each batch is
// written at "now"), blocks are 200 ms of it, and the tick runs every 20 ms
// with a snapshot on every run, so flushes, snapshots and cleanups happen all
// the time; every phase's start and end go to the journal and to stdout (the
// parent may kill right after a start).
//
// argv: dataDir strategy startSeq baseMs seriesCount flushIntervalMs journalPath mode
import { openSync, writeSync } from "node:fs";
import { Database } from "../../src/dbnode/storage/index.js";
import { type Clock, encodeTags, type Logger } from "../../src/x/index.js";
import {
  CRASH_NAMESPACE_OPTIONS,
  CRASH_SHARDS,
  crashValue,
  NAMESPACE,
  PHASE_MESSAGE,
  PLAIN_NAMESPACE_OPTIONS,
  seriesIdFor,
  seriesTagsFor,
} from "./workload.js";

const [dataDir, strategy, startSeqArg, baseMsArg, seriesArg, flushArg, journalPath, mode] =
  process.argv.slice(2);
const journal = openSync(journalPath, "w");
const startSeq = Number(startSeqArg);
const baseMs = Number(baseMsArg);
const seriesCount = Number(seriesArg);
const flushMode = mode === "flush";
let seq = startSeq;

const seqClock: Clock = { nowMs: () => baseMs + seq };
const phaseLogger: Logger = {
  debug(_fields, message) {
    if (!PHASE_MESSAGE.test(message)) return;
    writeSync(journal, `phase ${message}\n`);
    // Synchronous, so the parent sees a start while the phase is still running.
    writeSync(1, `phase ${message}\n`);
  },
  info() {},
  warn() {},
  error(fields, message) {
    writeSync(journal, `log-error ${message} ${JSON.stringify(fields)}\n`);
  },
};

const db = await Database.open({
  dataDir,
  numShards: CRASH_SHARDS,
  commitLog: {
    strategy: strategy === "wait" ? "wait" : "behind",
    flushIntervalMs: Number(flushArg),
  },
  ...(flushMode
    ? { clock: seqClock, tickIntervalMs: 20, snapshotIntervalMs: 0, logger: phaseLogger }
    : {}),
});
await db.bootstrapped;
if (!db.listNamespaces().some((n) => n.name === NAMESPACE)) {
  await db.createNamespace(
    NAMESPACE,
    // Sequence numbers are milliseconds past baseMs, and a fast writer runs
    // ahead of the wall clock: a wide bufferFuture keeps its writes warm.
    flushMode ? CRASH_NAMESPACE_OPTIONS : PLAIN_NAMESPACE_OPTIONS,
  );
}

const ids = Array.from({ length: seriesCount }, (_, s) => seriesIdFor(s));
const tags = Array.from({ length: seriesCount }, (_, s) => encodeTags(seriesTagsFor(s)));
const series = Int32Array.from({ length: seriesCount }, (_, s) => s);
const timesMs = new Float64Array(seriesCount);
const values = new Float64Array(seriesCount);
let refs: ArrayLike<number> = new Float64Array(seriesCount).fill(-1);

process.stdout.write("ready\n");
for (; ; seq++) {
  for (let s = 0; s < seriesCount; s++) {
    timesMs[s] = baseMs + seq;
    values[s] = crashValue(s, seq);
  }
  writeSync(journal, `sent ${seq}\n`);
  const res = await db.writeBatch(NAMESPACE, {
    count: seriesCount,
    series,
    timesMs,
    values,
    seriesIds: ids,
    seriesTags: tags,
    seriesRefs: refs,
  });
  if (res.errors.length > 0) {
    writeSync(journal, `error ${seq} ${res.errors[0].error.message}\n`);
    process.exit(3);
  }
  refs = res.refs;
  writeSync(journal, `ack ${seq} ${Date.now()}\n`);
}
