// Crash test: a child process writes continuously and reports every
// acknowledged batch; it is killed with SIGKILL at random moments. After each
// kill the database is opened again from the same directory and every
// acknowledged datapoint must read back exactly, and nothing that was never
// written may appear. With write-behind, only the newest acknowledged
// datapoints may be lost: a tail of the acks, seen within the flush interval
// (plus slack) before the kill.
//
// The wait-strategy run is in "flush" mode (writer.ts): blocks are flushed,
// snapshots taken and commit logs cleaned up continuously, and two kills in
// three are aimed at the start of a flush, an index volume write, a snapshot
// or a cleanup; the journal says which phase each kill landed in. The
// namespace is indexed: every datapoint read back must have its series found
// by the index in the datapoint's index block.
//
// Prints `crash.kills N` (with `crash.kills_in_flush`, `_in_index`,
// `_in_snapshot`, `_in_cleanup`), `crash.acked_lost N`, `crash.phantom N`,
// `crash.unindexed N` (wait strategy) and `crash.behind_lost N`,
// `crash.behind_lost_outside_window N`, `crash.behind_unindexed N`.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Database } from "../../src/dbnode/storage/index.js";
import { newMatcher } from "../../src/index/index.js";
import { seededRandom } from "../../src/x/index.js";
import {
  CRASH_SHARDS,
  crashValue,
  NAMESPACE,
  PHASE_MESSAGE,
  sameBits,
  seriesIdFor,
} from "./workload.js";

const WRITER = join(dirname(fileURLToPath(import.meta.url)), "writer.js");
const SERIES = 20;
/** How late a write-behind flush may run on a loaded 2-core machine. */
const FLUSH_SLACK_MS = 1000;

type Phase = "flush" | "index" | "snapshot" | "cleanup";
const PHASES: readonly Phase[] = ["flush", "index", "snapshot", "cleanup"];

/** When to kill: a time after readiness, or right after a phase starts (the time is then a fallback). */
interface KillPlan {
  afterMs: number;
  atPhase: Phase | null;
  /** Extra delay after the phase start, ms. */
  delayMs: number;
}

interface Round {
  /** Sequence numbers acknowledged, with the time (ms) the ack was seen. */
  acked: Map<number, number>;
  maxSent: number;
  killedAtMs: number;
  /** The phase the writer was in when killed, by its journal. */
  landedIn: Phase | null;
}

/** Runs the writer, SIGKILLs it as planned, then reads its journal. */
function runWriter(
  dataDir: string,
  strategy: string,
  mode: "plain" | "flush",
  startSeq: number,
  baseMs: number,
  flushIntervalMs: number,
  plan: KillPlan,
): Promise<Round> {
  const journalPath = join(dataDir, `journal-${startSeq}.txt`);
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        WRITER,
        dataDir,
        strategy,
        String(startSeq),
        String(baseMs),
        String(SERIES),
        String(flushIntervalMs),
        journalPath,
        mode,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let killedAtMs = 0;
    let stderr = "";
    let timer: NodeJS.Timeout | null = null;
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const kill = () => {
      if (killedAtMs !== 0) return;
      killedAtMs = Date.now();
      child.kill("SIGKILL");
    };
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (timer === null && out.includes("ready")) timer = setTimeout(kill, plan.afterMs);
      if (plan.atPhase !== null && out.includes(`phase ${plan.atPhase} started`)) {
        if (plan.delayMs === 0) kill();
        else setTimeout(kill, plan.delayMs);
      }
      // Only the unread tail matters for the next match.
      if (out.length > 4096) out = out.slice(-256);
    });
    child.on("exit", async (code, signal) => {
      if (timer !== null) clearTimeout(timer);
      if (signal !== "SIGKILL") {
        const journal = await readFile(journalPath, "utf8").catch(() => "");
        const last = journal.trimEnd().split("\n").at(-1);
        reject(
          new Error(`writer exited on its own (code ${code}, signal ${signal}): ${last} ${stderr}`),
        );
        return;
      }
      const round: Round = {
        acked: new Map(),
        maxSent: startSeq - 1,
        killedAtMs,
        landedIn: null,
      };
      const lines = (await readFile(journalPath, "utf8").catch(() => "")).split("\n");
      for (const line of lines) {
        const [kind, seq, at] = line.split(" ");
        if (kind === "sent") round.maxSent = Math.max(round.maxSent, Number(seq));
        else if (kind === "ack") round.acked.set(Number(seq), Number(at));
        else if (kind === "error" || kind === "log-error") {
          reject(new Error(`writer failed: ${line}`));
        } else if (kind === "phase") {
          const message = line.slice("phase ".length);
          const m = PHASE_MESSAGE.exec(message);
          if (m !== null) round.landedIn = m[2] === "started" ? (m[1] as Phase) : null;
        }
      }
      resolve(round);
    });
  });
}

interface Check {
  lostAcked: number[];
  phantoms: number;
  /** Datapoints read back whose series the index does not find in the datapoint's index block. */
  unindexed: number;
  /** The first few phantoms, for the failure message. */
  examples: string[];
}

/** Opens the database as a restart would and checks what it holds. */
async function verify(
  dataDir: string,
  baseMs: number,
  acked: Set<number>,
  maxSentEver: number,
): Promise<Check> {
  const db = await Database.open({
    dataDir,
    numShards: CRASH_SHARDS,
    commitLog: { strategy: "wait" },
  });
  await db.bootstrapped;
  const progress = db.bootstrapProgress;
  assert.equal(progress.state, "bootstrapped", progress.error ?? "");
  const lost = new Set<number>();
  let phantoms = 0;
  let unindexed = 0;
  const examples: string[] = [];
  const indexBlockMs = db.listNamespaces().find((n) => n.name === NAMESPACE)?.options.index
    .blockSizeMs as number;
  const all = [newMatcher("=", "__name__", "crash_test_metric")];
  /** The IDs the index finds in each index block, by block start. */
  const indexed = new Map<number, Set<string>>();
  const indexedIn = (timeMs: number): Set<string> => {
    const start = Math.floor(timeMs / indexBlockMs) * indexBlockMs;
    let ids = indexed.get(start);
    if (ids === undefined) {
      ids = new Set(db.queryIndex(NAMESPACE, all, start, start + indexBlockMs).ids);
      indexed.set(start, ids);
    }
    return ids;
  };
  for (let s = 0; s < SERIES; s++) {
    const seen = new Set<number>();
    const it = await db.fetch(NAMESPACE, seriesIdFor(s), baseMs, baseMs + maxSentEver + 1);
    while (it.next()) {
      const seq = it.timeMs - baseMs;
      if (seq < 0 || seq > maxSentEver || !sameBits(it.value, crashValue(s, seq))) {
        phantoms++;
        if (examples.length < 5) {
          examples.push(
            `series ${s} seq ${seq} value ${it.value} (expected ${crashValue(s, seq)}, max sent ${maxSentEver})`,
          );
        }
      }
      seen.add(seq);
      if (!indexedIn(it.timeMs).has(seriesIdFor(s))) {
        unindexed++;
        if (examples.length < 5) examples.push(`series ${s} seq ${seq} is not in the index`);
      }
    }
    assert.equal(it.error, null);
    for (const seq of acked) if (!seen.has(seq)) lost.add(seq);
  }
  await db.close();
  return { lostAcked: [...lost].sort((a, b) => a - b), phantoms, unindexed, examples };
}

async function crashLoop(
  strategy: string,
  mode: "plain" | "flush",
  kills: number,
  flushIntervalMs: number,
  seed: number,
) {
  const dataDir = await mkdtemp(join(tmpdir(), `m3ts-crash-${strategy}-`));
  const rand = seededRandom(seed);
  const baseMs = Date.now();
  const acked = new Set<number>();
  const landed = new Map<Phase | null, number>();
  let nextSeq = 0;
  let maxSentEver = -1;
  let lostInsideWindow = 0;
  let lostOutsideWindow = 0;
  let phantoms = 0;
  let unindexed = 0;
  const examples: string[] = [];
  try {
    for (let k = 0; k < kills; k++) {
      // In flush mode, two kills in three wait for a phase to start.
      const aimed = mode === "flush" && k % 3 !== 0;
      const plan: KillPlan = {
        afterMs: aimed ? 3000 : 20 + Math.floor(rand() * 250),
        // Aimed kills take the phases in turn.
        atPhase: aimed ? PHASES[(k - Math.ceil(k / 3)) % PHASES.length] : null,
        delayMs: Math.floor(rand() * 3),
      };
      const round = await runWriter(
        dataDir,
        strategy,
        mode,
        nextSeq,
        baseMs,
        flushIntervalMs,
        plan,
      );
      landed.set(round.landedIn, (landed.get(round.landedIn) ?? 0) + 1);
      maxSentEver = Math.max(maxSentEver, round.maxSent);
      for (const seq of round.acked.keys()) acked.add(seq);
      const check = await verify(dataDir, baseMs, acked, maxSentEver);
      phantoms += check.phantoms;
      unindexed += check.unindexed;
      examples.push(...check.examples.map((e) => `after kill ${k}: ${e}`));
      // Write-behind may lose only the newest acknowledged writes: a tail of
      // the round's acks (never one older than an ack that survived), each
      // seen within the flush interval before the kill, plus slack for a
      // flush timer delayed on a loaded machine.
      const lostSet = new Set(check.lostAcked);
      let newestSurvivor = Number.NEGATIVE_INFINITY;
      for (const seq of round.acked.keys()) {
        if (!lostSet.has(seq) && seq > newestSurvivor) newestSurvivor = seq;
      }
      for (const seq of check.lostAcked) {
        const ackedAt = round.acked.get(seq);
        const inTail = seq > newestSurvivor;
        const recent =
          ackedAt !== undefined && ackedAt >= round.killedAtMs - flushIntervalMs - FLUSH_SLACK_MS;
        if (inTail && recent) lostInsideWindow++;
        else lostOutsideWindow++;
        examples.push(`after kill ${k} (in ${round.landedIn ?? "writes"}): lost seq ${seq}`);
        acked.delete(seq); // counted once; later rounds may rewrite it
      }
      nextSeq = maxSentEver + 1;
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  return {
    acked: acked.size,
    lostInsideWindow,
    lostOutsideWindow,
    phantoms,
    unindexed,
    landed,
    examples: examples.slice(0, 10),
  };
}

test("wait strategy with continuous flushes, snapshots and cleanups: no acknowledged datapoint is lost and none appears unwritten, over 100 SIGKILLs", async () => {
  const kills = 100;
  const r = await crashLoop("wait", "flush", kills, 2, 1);
  const lost = r.lostInsideWindow + r.lostOutsideWindow;
  console.log(`crash.kills ${kills}`);
  for (const phase of PHASES) console.log(`crash.kills_in_${phase} ${r.landed.get(phase) ?? 0}`);
  console.log(`crash.acked_lost ${lost}`);
  console.log(`crash.phantom ${r.phantoms}`);
  console.log(`crash.unindexed ${r.unindexed}`);
  assert.ok(r.acked > kills, `only ${r.acked} batches were acknowledged: the writer barely ran`);
  assert.equal(lost, 0, r.examples.join("\n"));
  assert.equal(r.phantoms, 0, r.examples.join("\n"));
  assert.equal(r.unindexed, 0, r.examples.join("\n"));
  for (const phase of PHASES) {
    assert.ok((r.landed.get(phase) ?? 0) > 0, `no kill landed during a ${phase}`);
  }
});

test("write-behind: only the newest acknowledged datapoints, within the flush interval before a kill, are lost", async () => {
  const kills = 10;
  const r = await crashLoop("behind", "plain", kills, 200, 2);
  console.log(`crash.behind_kills ${kills}`);
  console.log(`crash.behind_lost ${r.lostInsideWindow + r.lostOutsideWindow}`);
  console.log(`crash.behind_lost_outside_window ${r.lostOutsideWindow}`);
  console.log(`crash.behind_unindexed ${r.unindexed}`);
  assert.ok(r.acked > kills, `only ${r.acked} batches were acknowledged: the writer barely ran`);
  assert.equal(r.lostOutsideWindow, 0);
  assert.equal(r.phantoms, 0, r.examples.join("\n"));
  assert.equal(r.unindexed, 0, r.examples.join("\n"));
});
