// The deterministic simulation of the storage engine: one seed drives the
// clock, the workload, the order of every I/O completion, restarts, crashes
// and disk faults; the engine is held to the model of what was acknowledged
// (model.ts) after every step. A failure returns the seed's trace and the
// command that replays it.
import { Database } from "../../src/dbnode/storage/index.js";
import { encodeTags, type Logger, ManualClock, seriesIdString } from "../../src/x/index.js";
import {
  bitsOf,
  checkNamespace,
  forgetDropped,
  type Model,
  markInFlightIndeterminate,
  newModel,
  type SentWrite,
} from "./model.js";
import { SimScheduler } from "./scheduler.js";
import { SimFileSystem } from "./sim-fs.js";
import { SimProcessFs } from "./sim-process.js";

const NAMESPACE = "sim";
/** A namespace the workload creates, drops and recreates under one name. */
const AUX = "aux";
const DATA_DIR = "/sim/data";
const SERIES = 6;
const BLOCK_MS = 60_000;
const BUFFER_PAST_MS = 10_000;
const BUFFER_FUTURE_MS = 10_000;
const RETENTION_MS = 8 * BLOCK_MS;
const INDEX_BLOCK_MS = 2 * BLOCK_MS;
/** A clock start on a block boundary, well past the epoch. */
const START_MS = 1_700_000_040_000;
/** I/O completions one step may release before it counts as hung. */
const MAX_RELEASES_PER_STEP = 20_000;
const NAMESPACE_OPTIONS = {
  blockSizeMs: BLOCK_MS,
  bufferPastMs: BUFFER_PAST_MS,
  bufferFutureMs: BUFFER_FUTURE_MS,
  retentionPeriodMs: RETENTION_MS,
  coldWritesEnabled: true,
  snapshotEnabled: true,
  index: { enabled: true, blockSizeMs: INDEX_BLOCK_MS },
};
const VALUES = [0, -0, 1, -1, 0.5, 1 / 3, 1e300, -2.5e-300, 42, 7.25];

export interface SimOptions {
  steps: number;
  /** Probability that a disk operation that may fail does fail (0: no faults). */
  faultRate: number;
  /**
   * Run each tick alone, with no write in flight: hides the tick/write race
   * so that a seed can look past it (the default expects the race fixed).
   */
  isolateTicks?: boolean;
  /** Put the engine's debug and info messages in the trace too (warnings and errors always are). */
  verbose?: boolean;
  /** Put every released I/O operation in the trace. */
  traceIo?: boolean;
}

export interface SimOutcome {
  seed: number;
  ok: boolean;
  trace: string[];
  failure: string | null;
  ioReleased: number;
}

class SimFailure extends Error {}

/** Runs one seed; never throws for an engine failure, it returns it. */
export async function runSeed(seed: number, options: SimOptions): Promise<SimOutcome> {
  const sim = new Simulation(seed, options);
  let failure: string | null = null;
  try {
    await sim.run();
  } catch (err) {
    failure = err instanceof SimFailure ? err.message : `unexpected error: ${(err as Error).stack}`;
  }
  return {
    seed,
    ok: failure === null,
    trace: sim.trace,
    failure,
    ioReleased: sim.sched.released,
  };
}

class Simulation {
  readonly sched: SimScheduler;
  readonly trace: string[] = [];
  private readonly options: SimOptions;
  private readonly clock = new ManualClock(START_MS);
  private readonly disk: SimFileSystem;
  private proc: SimProcessFs;
  private db: Database | null = null;
  /** Per namespace, per series, per timestamp: every write sent. */
  private readonly models = new Map<string, Model>();
  /** Whether AUX exists: known, or unknown after a change that failed or was cut off. */
  private auxState: "present" | "absent" | "unknown" = "absent";
  /** Event number at which the newest drop of AUX started (writes sent before it are gone with it). */
  private auxDropStart = 0;
  /** What a read racing other operations found wrong, reported at the next check. */
  private readFailure: string | null = null;
  /** A namespace change is in flight (changes run one at a time in the engine anyway). */
  private changing = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private event = 0;
  private tickWanted = false;
  private readonly logger: Logger;
  private readonly ids: string[];
  private readonly tags: Uint8Array[];

  constructor(seed: number, options: SimOptions) {
    this.sched = new SimScheduler(seed);
    this.options = options;
    this.disk = new SimFileSystem(this.sched, () => this.clock.nowMs());
    this.proc = new SimProcessFs(this.disk);
    if (options.traceIo === true) this.sched.onRelease = (label) => this.log(`io ${label}`);
    const say = (level: string) => (fields: object, message: string) =>
      this.log(`engine ${level}: ${message} ${JSON.stringify(fields)}`);
    const quiet = () => {};
    this.logger = {
      debug: options.verbose === true ? say("debug") : quiet,
      info: options.verbose === true ? say("info") : quiet,
      warn: say("warn"),
      error: say("error"),
    };
    const tagsOf = (s: number): [string, string][] => [
      ["__name__", "sim_metric"],
      ["series", String(s)],
    ];
    this.ids = Array.from({ length: SERIES }, (_, s) => seriesIdString(tagsOf(s)));
    this.tags = Array.from({ length: SERIES }, (_, s) => encodeTags(tagsOf(s)));
    this.models.set(NAMESPACE, newModel(SERIES));
    this.models.set(AUX, newModel(SERIES));
  }

  private log(line: string): void {
    this.trace.push(`[${this.trace.length}] t=${this.clock.nowMs() - START_MS} ${line}`);
  }

  private fail(what: string): never {
    throw new SimFailure(what);
  }

  /** Waits, releasing I/O in seeded order, for `p`; fails the seed if it hangs. */
  private async settle<T>(p: Promise<T>, what: string): Promise<T> {
    const settled = await this.sched.settle(p, MAX_RELEASES_PER_STEP);
    if (settled === null) this.fail(`${what} never finished (the engine hung or lost a wake-up)`);
    return settled.value;
  }

  private async drain(): Promise<void> {
    const all = Promise.allSettled([...this.inFlight]);
    await this.settle(all, "in-flight operations");
  }

  /** Opens the database, retrying as an operator would while disk faults make it fail. */
  private async open(): Promise<void> {
    const faults = this.disk.faultRate;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.openOnce();
        break;
      } catch (err) {
        if (err instanceof SimFailure) throw err;
        this.log(`open failed (attempt ${attempt}): ${(err as Error).message}`);
        this.proc.alive = false;
        // A disk that keeps failing is replaced by one that works.
        if (attempt === 3) this.disk.faultRate = 0;
      }
    }
    this.disk.faultRate = faults;
    const db = this.db as Database;
    const hasAux = db.listNamespaces().some((n) => n.name === AUX);
    if (this.auxState === "unknown") {
      this.log(`after open, ${AUX} is ${hasAux ? "present" : "absent"}`);
      if (!hasAux) this.auxDropped();
      this.auxState = hasAux ? "present" : "absent";
    } else if (hasAux !== (this.auxState === "present")) {
      this.fail(
        `after open, namespace ${AUX} is ${hasAux ? "present" : "absent"}, expected ${this.auxState}`,
      );
    }
  }

  private async openOnce(): Promise<void> {
    this.db = null;
    this.proc = new SimProcessFs(this.disk);
    const db = await this.settle(
      Database.open({
        dataDir: DATA_DIR,
        clock: this.clock,
        fs: this.proc,
        numShards: 4,
        tickIntervalMs: 0,
        snapshotIntervalMs: 0,
        // Spans of three blocks, compacted as soon as no warm write reaches them.
        compaction: { enabled: true, afterMs: 0, maxSpanMs: 3 * BLOCK_MS },
        commitLog: { strategy: "wait", flushIntervalMs: 0 },
        logger: this.logger,
      }),
      "Database.open",
    );
    await this.settle(db.bootstrapped, "bootstrap");
    const progress = db.bootstrapProgress;
    if (progress.state !== "bootstrapped") throw new Error(`bootstrap failed: ${progress.error}`);
    if (!db.listNamespaces().some((n) => n.name === NAMESPACE)) {
      await this.settle(db.createNamespace(NAMESPACE, NAMESPACE_OPTIONS), "createNamespace");
    }
    this.db = db;
  }

  async run(): Promise<void> {
    this.log(`open (faultRate ${this.options.faultRate})`);
    await this.open();
    this.disk.faultRate = this.options.faultRate;
    for (let step = 0; step < this.options.steps; step++) {
      const roll = this.sched.random();
      if (roll < 0.06) await this.restart();
      else if (roll < 0.12) await this.crash();
      else {
        // A few operations started together, so their I/O interleaves.
        const n = 1 + this.sched.int(3);
        for (let i = 0; i < n; i++) this.startAction();
        await this.drain();
        if (this.tickWanted) {
          this.tickWanted = false;
          this.startTick(this.db as Database);
          await this.drain();
        }
      }
      await this.check(`after step ${step}`);
    }
    this.disk.faultRate = 0;
    this.log("final crash and restart");
    await this.crash();
    await this.check("after the final restart");
  }

  private track(p: Promise<unknown>): void {
    const q = p.catch(() => undefined).finally(() => this.inFlight.delete(q));
    this.inFlight.add(q);
  }

  private startAction(): void {
    const db = this.db as Database;
    const roll = this.sched.random();
    if (roll < 0.55) {
      this.startWrite(db);
    } else if (roll < 0.72) {
      const ms = this.sched.int(3) === 0 ? BLOCK_MS : this.sched.int(BUFFER_PAST_MS * 2);
      this.clock.advance(ms);
      this.log(`advance clock ${ms} ms`);
    } else if (roll < 0.78 && !this.changing) {
      this.startNamespaceChange(db);
    } else if (roll < 0.86) {
      this.startRead(db);
    } else if (this.options.isolateTicks === true) {
      this.tickWanted = true;
    } else {
      this.startTick(db);
    }
  }

  /**
   * A read racing the other operations: what was acknowledged before it
   * began must be in it, and nothing in it may be a value never sent.
   */
  private startRead(db: Database): void {
    const s = this.sched.int(SERIES);
    const perTime = (this.models.get(NAMESPACE) as Model).get(s) as Map<number, SentWrite[]>;
    const required: number[] = [];
    for (const [t, list] of perTime) if (list.some((w) => w.ackedAt >= 0)) required.push(t);
    const delay = this.sched.int(30);
    this.log(`read sim s${s} (after ${delay} I/O completions)`);
    const read = async () => {
      // Start part way into what else runs (a flush taking buckets, say).
      for (let i = 0; i < delay; i++) await this.sched.io("read delay");
      const it = await db.fetch(NAMESPACE, this.ids[s], 0, this.clock.nowMs() + 10 * BLOCK_MS);
      const got = new Map<number, string>();
      while (it.next()) got.set(it.timeMs, bitsOf(it.value));
      return got;
    };
    this.track(
      read().then(
        (got) => {
          const oldest = this.oldestKept();
          for (const [t, bits] of got) {
            const sent = perTime.get(t);
            if (sent === undefined || !sent.some((w) => w.valueBits === bits)) {
              this.readFailure = `a read of series ${s} returned ${bits} at ${t - START_MS}, never sent there`;
            }
          }
          for (const t of required) {
            if (t >= oldest && !got.has(t)) {
              this.readFailure = `a read of series ${s} missed ${t - START_MS}, acknowledged before the read began`;
            }
          }
          this.log(`read sim s${s} done (${got.size} datapoints)`);
        },
        (e) => this.log(`read sim s${s} failed: ${(e as Error).message}`),
      ),
    );
  }

  /** The oldest instant the model still requires: blocks that may have expired may be gone. */
  private oldestKept(): number {
    const now = this.clock.nowMs();
    return Math.floor((now - RETENTION_MS) / BLOCK_MS) * BLOCK_MS + 2 * BLOCK_MS;
  }

  /** Creates, drops or updates a namespace while other operations run. */
  private startNamespaceChange(db: Database): void {
    this.changing = true;
    const done = () => {
      this.changing = false;
    };
    const roll = this.sched.int(3);
    if (roll === 0) {
      // Retention may grow and come back; the model's window follows the shortest.
      // The file format flips too: a namespace may hold volumes of both.
      const retentionPeriodMs = RETENTION_MS + this.sched.int(3) * BLOCK_MS;
      const fileFormat = this.sched.int(4) === 0 ? "m3" : "m3ts";
      this.log(`update ${NAMESPACE} retention ${retentionPeriodMs} fileFormat ${fileFormat}`);
      this.track(
        db
          .updateNamespace(NAMESPACE, { retentionPeriodMs, fileFormat })
          .then(
            () => this.log(`update ${NAMESPACE} done`),
            (e) => this.log(`update ${NAMESPACE} failed: ${(e as Error).message}`),
          )
          .finally(done),
      );
    } else if (this.auxState !== "present") {
      this.log(`create ${AUX}`);
      this.auxState = "unknown";
      this.track(
        db
          .createNamespace(AUX, {
            ...NAMESPACE_OPTIONS,
            // Either format: a drop may then land in the middle of a compaction too.
            fileFormat: this.sched.int(2) === 0 ? "m3" : "m3ts",
          })
          .then(
            () => {
              this.auxState = "present";
              this.log(`create ${AUX} done`);
            },
            (e) => {
              this.auxState = this.stateAfterFailedChange(db);
              this.log(`create ${AUX} failed (${this.auxState}): ${(e as Error).message}`);
            },
          )
          .finally(done),
      );
    } else {
      this.log(`drop ${AUX}`);
      this.auxState = "unknown";
      this.auxDropStart = ++this.event;
      this.track(
        db
          .dropNamespace(AUX)
          .then(
            () => {
              this.auxState = "absent";
              this.auxDropped();
              this.log(`drop ${AUX} done`);
            },
            (e) => {
              this.auxState = this.stateAfterFailedChange(db);
              if (this.auxState === "absent") this.auxDropped();
              this.log(`drop ${AUX} failed (${this.auxState}): ${(e as Error).message}`);
            },
          )
          .finally(done),
      );
    }
  }

  /**
   * Where a failed create or drop left AUX: as memory says, unless the
   * registry's save failed part way (the node then stops), when the next
   * open tells.
   */
  private stateAfterFailedChange(db: Database): "present" | "absent" | "unknown" {
    if (db.failureReason !== null) return "unknown";
    return db.listNamespaces().some((n) => n.name === AUX) ? "present" : "absent";
  }

  /** AUX was dropped: the model forgets what the drop took (see forgetDropped). */
  private auxDropped(): void {
    const end = ++this.event;
    forgetDropped(this.models.get(AUX) as Model, this.auxDropStart, end);
  }

  private startTick(db: Database): void {
    this.log("tick");
    this.track(
      db.tick().then(
        (r) => this.log(`tick done ${JSON.stringify(r)}`),
        (e) => this.log(`tick failed: ${(e as Error).message}`),
      ),
    );
  }

  /** A batch of warm, cold, duplicate, equal-timestamp and future datapoints. */
  private startWrite(db: Database): void {
    const namespace = this.sched.int(4) === 0 ? AUX : NAMESPACE;
    const model = this.models.get(namespace) as Model;
    const now = this.clock.nowMs();
    const count = 1 + this.sched.int(4);
    const series = new Int32Array(count);
    const timesMs = new Float64Array(count);
    const values = new Float64Array(count);
    const sent: { s: number; t: number; w: SentWrite }[] = [];
    for (let i = 0; i < count; i++) {
      const s = this.sched.int(SERIES);
      const kind = this.sched.int(10);
      let t: number;
      const known = [...(model.get(s) as Map<number, SentWrite[]>).keys()];
      if (kind < 5) t = now - this.sched.int(BUFFER_PAST_MS);
      else if (kind < 7) t = now - this.sched.int(RETENTION_MS - 2 * BLOCK_MS);
      else if (kind < 9 && known.length > 0) t = known[this.sched.int(known.length)];
      else t = now + this.sched.int(BUFFER_FUTURE_MS);
      const value = VALUES[this.sched.int(VALUES.length)];
      series[i] = s;
      timesMs[i] = t;
      values[i] = value;
      const w: SentWrite = {
        value,
        valueBits: bitsOf(value),
        sentAt: ++this.event,
        ackedAt: -1,
        endedAt: -1,
      };
      sent.push({ s, t, w });
      const perTime = model.get(s) as Map<number, SentWrite[]>;
      const list = perTime.get(t) ?? [];
      list.push(w);
      perTime.set(t, list);
    }
    const desc = sent.map((x) => `s${x.s}@${x.t - START_MS}=${x.w.value}`).join(" ");
    this.log(`write ${namespace} ${desc}`);
    const p = db.writeBatch(namespace, {
      count,
      series,
      timesMs,
      values,
      seriesIds: this.ids,
      seriesTags: this.tags,
    });
    this.track(
      p.then(
        (r) => {
          const at = ++this.event;
          const failed = new Set(r.errors.map((e) => e.index));
          sent.forEach((x, i) => {
            if (failed.has(i)) {
              x.w.ackedAt = -2;
              x.w.endedAt = at;
            } else x.w.ackedAt = at;
          });
          this.log(`write acked ${count - failed.size}/${count} (${namespace} ${desc})`);
        },
        (e) => {
          const at = ++this.event;
          for (const x of sent) {
            x.w.ackedAt = -2;
            x.w.endedAt = at;
          }
          this.log(`write failed (${namespace} ${desc}): ${(e as Error).message}`);
        },
      ),
    );
  }

  private async restart(): Promise<void> {
    await this.drain();
    this.log("restart: close and open");
    try {
      await this.settle((this.db as Database).close(), "Database.close");
    } catch (err) {
      if (err instanceof SimFailure) throw err;
      // A node that failed stop reports why on close; the operator restarts it all the same.
      this.log(`close failed: ${(err as Error).message}`);
    }
    // Whatever the old process still holds is gone with it.
    this.proc.alive = false;
    await this.open();
  }

  /** Lets a few operations run part way, then abandons the process and loses what was not durable. */
  private async crash(): Promise<void> {
    const n = this.sched.int(3);
    for (let i = 0; i < n; i++) this.startAction();
    const releases = this.sched.int(40);
    let k = 0;
    await this.sched.runUntil(() => k++ >= releases, releases + 1);
    this.log(`crash after ${releases} I/O releases`);
    this.proc.alive = false;
    this.sched.abandon();
    // Writes still in flight never got an answer: indeterminate.
    for (const model of this.models.values()) {
      markInFlightIndeterminate(model, () => ++this.event);
    }
    this.inFlight.clear();
    // A namespace change cut off by the crash may or may not have happened.
    if (this.changing) {
      this.changing = false;
      if (this.auxState === "unknown") this.log(`${AUX} change cut off by the crash`);
    }
    this.disk.crash();
    const faults = this.disk.faultRate;
    this.disk.faultRate = 0;
    await this.open();
    this.disk.faultRate = faults;
  }

  private async check(when: string): Promise<void> {
    if (this.readFailure !== null) this.fail(`${when}: ${this.readFailure}`);
    await this.checkNamespace(when, NAMESPACE);
    if (this.auxState === "present") await this.checkNamespace(when, AUX);
  }

  private async checkNamespace(when: string, namespace: string): Promise<void> {
    const check = {
      namespace,
      model: this.models.get(namespace) as Model,
      ids: this.ids,
      endMs: this.clock.nowMs() + 10 * BLOCK_MS,
      // Retention: anything in a block that may have expired may be gone.
      oldestMs: this.oldestKept(),
      indexBlockMs: INDEX_BLOCK_MS,
      originMs: START_MS,
    };
    const settle = <T>(p: Promise<T>, what: string) => this.settle(p, what);
    const problem = await checkNamespace(this.db as Database, check, when, settle);
    if (problem !== null) this.fail(problem);
  }
}
