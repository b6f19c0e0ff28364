// The deterministic simulation of the storage engine: one seed drives the
// clock, the workload, the order of every I/O completion, restarts, crashes
// and disk faults; a model of what was acknowledged is checked after every
// step. A failure returns the seed's trace and the command that replays it.
import { Database } from "../../src/dbnode/storage/index.js";
import { newMatcher } from "../../src/index/index.js";
import { encodeTags, type Logger, ManualClock, seriesIdString } from "../../src/x/index.js";
import { SimScheduler } from "./scheduler.js";
import { SimFileSystem } from "./sim-fs.js";
import { SimProcessFs } from "./sim-process.js";

const NAMESPACE = "sim";
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
}

export interface SimOutcome {
  seed: number;
  ok: boolean;
  trace: string[];
  failure: string | null;
  ioReleased: number;
}

/** One write of one datapoint, as the model knows it. */
interface SentWrite {
  valueBits: string;
  value: number;
  sentAt: number;
  /** Event number of the acknowledgement; -1 while in flight, -2 if indeterminate. */
  ackedAt: number;
  /** Event number when an indeterminate write's call ended. */
  endedAt: number;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
function bitsOf(v: number): string {
  f64[0] = v;
  return `${u32[1].toString(16).padStart(8, "0")}${u32[0].toString(16).padStart(8, "0")}`;
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
  /** Per series, per timestamp: every write sent. */
  private readonly model = new Map<number, Map<number, SentWrite[]>>();
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
    for (let s = 0; s < SERIES; s++) this.model.set(s, new Map());
  }

  private log(line: string): void {
    this.trace.push(`[${this.trace.length}] t=${this.clock.nowMs() - START_MS} ${line}`);
  }

  private fail(what: string): never {
    throw new SimFailure(what);
  }

  /** Waits, releasing I/O in seeded order, for `p`; fails the seed if it hangs. */
  private async settle<T>(p: Promise<T>, what: string): Promise<T> {
    let done = false;
    let value: T | undefined;
    let error: unknown = null;
    let threw = false;
    p.then(
      (v) => {
        done = true;
        value = v;
      },
      (e) => {
        done = true;
        threw = true;
        error = e;
      },
    );
    if (!(await this.sched.runUntil(() => done, MAX_RELEASES_PER_STEP))) {
      this.fail(`${what} never finished (the engine hung or lost a wake-up)`);
    }
    if (threw) throw error;
    return value as T;
  }

  private async drain(): Promise<void> {
    const all = Promise.allSettled([...this.inFlight]);
    await this.settle(all, "in-flight operations");
  }

  private async open(): Promise<void> {
    this.proc = new SimProcessFs(this.disk);
    const db = await this.settle(
      Database.open({
        dataDir: DATA_DIR,
        clock: this.clock,
        fs: this.proc,
        numShards: 4,
        tickIntervalMs: 0,
        snapshotIntervalMs: 0,
        commitLog: { strategy: "wait", flushIntervalMs: 0 },
        logger: this.logger,
      }),
      "Database.open",
    );
    await this.settle(db.bootstrapped, "bootstrap");
    const progress = db.bootstrapProgress;
    if (progress.state !== "bootstrapped") this.fail(`bootstrap failed: ${progress.error}`);
    if (!db.listNamespaces().some((n) => n.name === NAMESPACE)) {
      await this.settle(
        db.createNamespace(NAMESPACE, {
          blockSizeMs: BLOCK_MS,
          bufferPastMs: BUFFER_PAST_MS,
          bufferFutureMs: BUFFER_FUTURE_MS,
          retentionPeriodMs: RETENTION_MS,
          coldWritesEnabled: true,
          snapshotEnabled: true,
          index: { enabled: true, blockSizeMs: INDEX_BLOCK_MS },
        }),
        "createNamespace",
      );
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
    } else if (roll < 0.75) {
      const ms = this.sched.int(3) === 0 ? BLOCK_MS : this.sched.int(BUFFER_PAST_MS * 2);
      this.clock.advance(ms);
      this.log(`advance clock ${ms} ms`);
    } else if (this.options.isolateTicks === true) {
      this.tickWanted = true;
    } else {
      this.startTick(db);
    }
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
      const known = [...(this.model.get(s) as Map<number, SentWrite[]>).keys()];
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
      const perTime = this.model.get(s) as Map<number, SentWrite[]>;
      const list = perTime.get(t) ?? [];
      list.push(w);
      perTime.set(t, list);
    }
    const desc = sent.map((x) => `s${x.s}@${x.t - START_MS}=${x.w.value}`).join(" ");
    this.log(`write ${desc}`);
    const p = db.writeBatch(NAMESPACE, {
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
          this.log(`write acked ${count - failed.size}/${count} (${desc})`);
        },
        (e) => {
          const at = ++this.event;
          for (const x of sent) {
            x.w.ackedAt = -2;
            x.w.endedAt = at;
          }
          this.log(`write failed (${desc}): ${(e as Error).message}`);
        },
      ),
    );
  }

  private async restart(): Promise<void> {
    await this.drain();
    this.log("restart: close and open");
    await this.settle((this.db as Database).close(), "Database.close");
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
    for (const perTime of this.model.values()) {
      for (const list of perTime.values()) {
        for (const w of list) {
          if (w.ackedAt === -1) {
            w.ackedAt = -2;
            w.endedAt = ++this.event;
          }
        }
      }
    }
    this.inFlight.clear();
    this.disk.crash();
    const faults = this.disk.faultRate;
    this.disk.faultRate = 0;
    await this.open();
    this.disk.faultRate = faults;
  }

  /** What the model allows at one instant: values that may be read, and whether one must be. */
  private allowed(list: SentWrite[]): { values: Set<string>; required: boolean } {
    const acked = list.filter((w) => w.ackedAt >= 0);
    const values = new Set<string>();
    // A write is overridden by an acknowledged one sent after it finished.
    const overridden = (w: SentWrite) => {
      const end = w.ackedAt >= 0 ? w.ackedAt : w.endedAt;
      return acked.some((v) => v !== w && v.sentAt > end);
    };
    for (const w of list) if (w.ackedAt !== -1 && !overridden(w)) values.add(w.valueBits);
    return { values, required: acked.length > 0 };
  }

  private async check(when: string): Promise<void> {
    const db = this.db as Database;
    const now = this.clock.nowMs();
    // Retention: anything in a block that may have expired may be gone.
    const oldest = Math.floor((now - RETENTION_MS) / BLOCK_MS) * BLOCK_MS + 2 * BLOCK_MS;
    for (let s = 0; s < SERIES; s++) {
      const perTime = this.model.get(s) as Map<number, SentWrite[]>;
      const id = this.ids[s];
      const it = await this.settle(db.fetch(NAMESPACE, id, 0, now + 10 * BLOCK_MS), "fetch");
      const got = new Map<number, string>();
      let n = 0;
      while (it.next()) {
        if (++n > 100_000) this.fail("fetch returned an endless stream");
        if (got.has(it.timeMs))
          this.fail(`${when}: series ${s} has two datapoints at ${it.timeMs}`);
        got.set(it.timeMs, bitsOf(it.value));
      }
      for (const [t, bits] of got) {
        const list = perTime.get(t);
        if (list === undefined) {
          this.fail(`${when}: series ${s} at ${t - START_MS} holds ${bits}, never written`);
        }
        const { values } = this.allowed(list);
        if (!values.has(bits) && t >= oldest) {
          this.fail(
            `${when}: series ${s} at ${t - START_MS} holds ${bits}; allowed: ${[...values].join(", ")}`,
          );
        }
      }
      const blocks = new Set<number>();
      for (const [t, list] of perTime) {
        if (t < oldest) continue;
        const { required } = this.allowed(list);
        if (!required) continue;
        if (!got.has(t)) {
          this.fail(
            `${when}: acknowledged datapoint lost: series ${s} at ${t - START_MS} (values ${list
              .map((w) => `${w.value}${w.ackedAt >= 0 ? "" : "?"}`)
              .join(", ")})`,
          );
        }
        blocks.add(Math.floor(t / INDEX_BLOCK_MS) * INDEX_BLOCK_MS);
      }
      for (const start of blocks) {
        const found = db.queryIndex(
          NAMESPACE,
          [newMatcher("=", "series", String(s))],
          start,
          start + INDEX_BLOCK_MS,
        ).ids;
        if (![...found].includes(id)) {
          this.fail(`${when}: index misses series ${s} in the block at ${start - START_MS}`);
        }
      }
    }
  }
}
