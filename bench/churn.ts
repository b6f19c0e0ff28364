// `npm run bench:churn`: memory of the storage engine under series churn.
// A Database over a temporary data directory (namespace retention 6 h, data
// and index blocks of 2 h, indexed) takes one datapoint per active series
// every simulated minute from a constant set of --series active series
// (default 100 000; --write-minutes N writes every N minutes instead, and
// always right after a churn, to shorten the run), of which 10 % are replaced by new series every
// simulated 10 minutes, for --hours simulated hours (default 24). The clock
// is injected and the bench ticks the database itself every --tick-minutes
// (default 5), so flushes, index seals, snapshots and series removal all
// happen as they would in a node.
//
// Prints `name value unit` lines: RSS after a forced GC at hours 8, 16 and
// the end, churn.rss_growth_pct (growth from hour 8 to the end, in percent
// of the hour-8 figure) and churn.slots_per_active_series (series table
// slots over the active series written). Needs --expose-gc.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Database } from "../src/dbnode/storage/index.js";
import { encodeTags, ManualClock, seriesIdString } from "../src/x/index.js";

const NAMESPACE = "churn";
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** Share of the active series replaced every CHURN_EVERY_MINUTES. */
const CHURN_SHARE = 0.1;
const CHURN_EVERY_MINUTES = 10;
/** Hours at which RSS is sampled; growth is measured from the first. */
const SAMPLE_HOURS = [8, 16];
/** Aligned to a 2 h block so block boundaries fall on whole hours. */
const START_MS = Date.UTC(2026, 0, 1);

function progress(message: string): void {
  console.error(`[churn ${(performance.now() / 1000).toFixed(0)} s] ${message}`);
}

function rssAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("bench:churn needs node --expose-gc to measure RSS");
  gc();
  gc();
  return process.memoryUsage().rss;
}

/** The active set: a fixed number of slots, each holding one series at a time. */
class ActiveSeries {
  readonly ids: string[];
  readonly tags: (Uint8Array | null)[];
  readonly refs: Float64Array;
  created = 0;
  private nextChurn = 0;

  constructor(count: number) {
    this.ids = new Array<string>(count);
    this.tags = new Array<Uint8Array | null>(count);
    this.refs = new Float64Array(count).fill(-1);
    for (let s = 0; s < count; s++) this.replace(s);
  }

  /** Replaces the next `n` slots, round robin, with series never seen before. */
  churn(n: number): void {
    for (let k = 0; k < n; k++) {
      this.replace(this.nextChurn);
      this.nextChurn = (this.nextChurn + 1) % this.ids.length;
    }
  }

  /** Forgets tags of series the database now knows (it needs them only once). */
  known(refs: Float64Array): void {
    for (let s = 0; s < refs.length; s++) {
      this.refs[s] = refs[s];
      if (refs[s] >= 0) this.tags[s] = null;
    }
  }

  private replace(slot: number): void {
    const n = this.created++;
    const labels: [string, string][] = [
      ["__name__", "churn_requests_total"],
      ["instance", `pod-${n}`],
      ["job", "churn"],
      ["slot", String(slot % 1000)],
    ];
    this.ids[slot] = seriesIdString(labels);
    this.tags[slot] = encodeTags(labels);
    this.refs[slot] = -1;
  }
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      series: { type: "string", default: "100000" },
      hours: { type: "string", default: "24" },
      "tick-minutes": { type: "string", default: "5" },
      "write-minutes": { type: "string", default: "1" },
      keep: { type: "boolean", default: false },
    },
  });
  const seriesCount = Number(args.series);
  const hours = Number(args.hours);
  const tickMinutes = Number(args["tick-minutes"]);
  const writeMinutes = Number(args["write-minutes"]);
  if (!(seriesCount > 0 && hours > SAMPLE_HOURS[0] && tickMinutes > 0 && writeMinutes > 0)) {
    throw new Error(
      `--series must be positive, --hours above ${SAMPLE_HOURS[0]}, --tick-minutes and --write-minutes positive`,
    );
  }
  const dataDir = mkdtempSync(join(tmpdir(), "m3ts-churn-"));
  const clock = new ManualClock(START_MS);
  const wallStart = performance.now();
  const db = await Database.open({
    dataDir,
    clock,
    commitLog: { strategy: "behind" },
    tickIntervalMs: 0,
    snapshotIntervalMs: 10 * MINUTE_MS,
  });
  await db.bootstrapped;
  await db.createNamespace(NAMESPACE, {
    retentionPeriodMs: 6 * HOUR_MS,
    blockSizeMs: 2 * HOUR_MS,
    index: { enabled: true, blockSizeMs: 2 * HOUR_MS },
  });

  const active = new ActiveSeries(seriesCount);
  const series = new Int32Array(seriesCount);
  for (let s = 0; s < seriesCount; s++) series[s] = s;
  const timesMs = new Float64Array(seriesCount);
  const values = new Float64Array(seriesCount);
  const rss: { hour: number; bytes: number }[] = [];
  const churnCount = Math.round(seriesCount * CHURN_SHARE);
  const minutes = hours * 60;
  let rejected = 0;
  for (let minute = 1; minute <= minutes; minute++) {
    clock.set(START_MS + minute * MINUTE_MS);
    if (minute % CHURN_EVERY_MINUTES === 0) active.churn(churnCount);
    if (minute % writeMinutes !== 0 && minute % CHURN_EVERY_MINUTES !== 0) {
      if (minute % tickMinutes === 0) await db.tick();
      continue;
    }
    timesMs.fill(clock.nowMs());
    for (let s = 0; s < seriesCount; s++) values[s] = minute + s;
    const result = await db.writeBatch(NAMESPACE, {
      count: seriesCount,
      series,
      timesMs,
      values,
      seriesIds: active.ids,
      seriesTags: active.tags,
      seriesRefs: active.refs,
    });
    if (result.errors.length > 0 && rejected === 0) {
      progress(`first rejection: ${result.errors[0].error.message}`);
    }
    rejected += result.errors.length;
    active.known(result.refs);
    if (minute % tickMinutes === 0) await db.tick();
    if (minute % 60 === 0) {
      const hour = minute / 60;
      if (SAMPLE_HOURS.includes(hour) || hour === hours) {
        const bytes = rssAfterGc();
        rss.push({ hour, bytes });
        // Printed as it is taken, so a run cut short still tells its figures.
        console.log(`churn.rss_hour_${hour}_mib ${(bytes / 2 ** 20).toFixed(1)} MiB`);
      }
      progress(`hour ${hour}: ${active.created} series created, ${statsOf(db).slots} slots`);
    }
  }
  const stats = statsOf(db);
  const wallS = (performance.now() - wallStart) / 1000;
  await db.close();
  if (!args.keep) rmSync(dataDir, { recursive: true, force: true });

  const base = rss[0].bytes;
  const last = rss[rss.length - 1].bytes;
  console.log(`churn.rss_growth_pct ${(((last - base) / base) * 100).toFixed(2)} %`);
  // Active: the series being written. The table also holds series that
  // stopped but whose last block is not flushed yet (up to a block plus
  // bufferPast of churn), so its live count is printed apart.
  console.log(`churn.slots_per_active_series ${(stats.slots / seriesCount).toFixed(3)} ratio`);
  console.log(`churn.slots_per_table_series ${(stats.slots / stats.live).toFixed(3)} ratio`);
  console.log(`churn.series_created ${active.created} series`);
  console.log(`churn.series_live ${stats.live} series`);
  console.log(`churn.datapoints_rejected ${rejected} datapoints`);
  console.log(`churn.wall_s ${wallS.toFixed(1)} s`);
}

/** Slots and live series of the bench namespace's series table. */
function statsOf(db: Database): { slots: number; live: number } {
  const ns = (
    db as unknown as { namespaces: Map<string, { series: SeriesTableView }> }
  ).namespaces.get(NAMESPACE);
  if (ns === undefined) throw new Error(`namespace ${NAMESPACE} is missing`);
  return { slots: ns.series.ids.length, live: ns.series.size };
}

/** What the bench reads of a namespace's series table. */
interface SeriesTableView {
  readonly ids: readonly (string | null)[];
  readonly size: number;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
