// The storage the scripts run against: one in-memory Database on a manual
// clock, a fresh namespace for each script and after each `clear`, loaded
// through the client's writeBatch like any other writer. The scripts' samples
// sit at the epoch onwards (0s, 5m, ... up to days); the clock stands past
// all of them and the namespace keeps a long retention and takes cold
// writes, so the write window accepts every one of them as it is.

import { type Client, InProcessClient } from "../../src/client/index.js";
import { Database } from "../../src/dbnode/storage/index.js";
import {
  encodeTags,
  ManualClock,
  normalizeTags,
  seriesIdString,
  type Tag,
} from "../../src/x/index.js";
import type { LoadCmd } from "./script.js";

const DAY_MS = 24 * 3_600_000;
/** Where the clock stands: past every sample and eval time of the scripts (at most ~13 days). */
export const STORAGE_NOW_MS = 30 * DAY_MS;
/** Retention reaching back before the epoch, so evaluations at negative times read an empty past. */
const RETENTION_MS = 60 * DAY_MS;

/** A load whose samples the database refused: the load's line and the first refusal. */
export class LoadError extends Error {
  constructor(line: number, refused: number, first: string) {
    super(`load at line ${line}: ${refused} samples refused, the first: ${first}`);
  }
}

export interface LoadStats {
  /** Samples written. */
  written: number;
  /** Native histogram samples left out (m3ts stores floats only). */
  histograms: number;
}

/** Writes a load command's series into `namespace` as one batch through `client`. */
export async function writeLoad(
  client: Client,
  namespace: string,
  cmd: LoadCmd,
): Promise<LoadStats> {
  // As in promqltest, a series defined twice in one load keeps its last definition.
  const byKey = new Map<string, LoadCmd["series"][number]>();
  for (const s of cmd.series) byKey.set(JSON.stringify(s.labels), s);
  const seriesIds: string[] = [];
  const seriesTags: Uint8Array[] = [];
  const series: number[] = [];
  const times: number[] = [];
  const kinds: number[] = []; // 0 float, 1 stale
  const floats: number[] = [];
  let histograms = 0;
  for (const s of byKey.values()) {
    const tags = normalizeTags(s.labels.map((l): Tag => [l.name, l.value]));
    const ref = seriesIds.length;
    seriesIds.push(seriesIdString(tags));
    seriesTags.push(encodeTags(tags));
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i];
      if (v.kind === "omitted") continue;
      if (v.kind === "histogram") {
        histograms++;
        continue;
      }
      series.push(ref);
      times.push(i * cmd.intervalMs);
      kinds.push(v.kind === "stale" ? 1 : 0);
      floats.push(v.kind === "float" ? v.value : 0);
    }
  }
  const count = series.length;
  if (count === 0) return { written: 0, histograms };
  // The stale marker's bits are written straight into the column: a NaN
  // passed through a plain number may lose its payload.
  const values = new Float64Array(count);
  const bits = new DataView(values.buffer);
  for (let i = 0; i < count; i++) {
    if (kinds[i] === 1) {
      bits.setUint32(i * 8, 0x00000002, true);
      bits.setUint32(i * 8 + 4, 0x7ff00000, true);
    } else {
      values[i] = floats[i];
    }
  }
  const result = await client.writeBatch(namespace, {
    count,
    series: Int32Array.from(series),
    timesMs: Float64Array.from(times),
    values,
    seriesIds,
    seriesTags,
  });
  if (result.errors.length > 0) {
    throw new LoadError(cmd.line, result.errors.length, result.errors[0].error.message);
  }
  return { written: result.written, histograms };
}

/** The options of every script's namespace: retention past the scripts' times, cold writes, an index, nothing on disk. */
export const CONFORMANCE_NAMESPACE_OPTIONS = {
  retentionPeriodMs: RETENTION_MS,
  coldWritesEnabled: true,
  index: { enabled: true },
  flushEnabled: false,
  snapshotEnabled: false,
} as const;

/** What the scripts run on: a client, the clock it stands on, a fresh namespace per script. */
export interface ConformanceStorage {
  readonly client: Client;
  readonly clock: ManualClock;
  /** Drops the namespace in use, if any, and creates an empty one; returns its name. */
  fresh(): Promise<string>;
  /** Drops the namespace in use. */
  release(): Promise<void>;
  close(): Promise<void>;
}

/** One in-memory database whose namespaces the scripts take in turn. */
export class TestStorage implements ConformanceStorage {
  readonly client: Client;
  readonly clock: ManualClock;
  private readonly db: Database;
  private current: string | null = null;
  private made = 0;

  private constructor(db: Database, clock: ManualClock) {
    this.db = db;
    this.clock = clock;
    this.client = new InProcessClient(db);
  }

  /** Opens the database (no data directory, no background tick). */
  static async open(): Promise<TestStorage> {
    const clock = new ManualClock(STORAGE_NOW_MS);
    const db = await Database.open({ dataDir: null, clock, tickIntervalMs: 0, numShards: 4 });
    await db.bootstrapped;
    return new TestStorage(db, clock);
  }

  /** Drops the namespace in use, if any, and creates an empty one; returns its name. */
  async fresh(): Promise<string> {
    await this.release();
    const name = `promql_${++this.made}`;
    await this.db.createNamespace(name, CONFORMANCE_NAMESPACE_OPTIONS);
    this.current = name;
    return name;
  }

  /** Drops the namespace in use. */
  async release(): Promise<void> {
    if (this.current !== null) {
      await this.db.dropNamespace(this.current);
      this.current = null;
    }
  }

  async close(): Promise<void> {
    await this.release();
    await this.db.close();
  }
}
