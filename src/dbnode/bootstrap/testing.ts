// Test support for the bootstrappers: a target that records what it was
// given, a context over a temporary data directory, and writers of the files
// bootstrap reads (data and snapshot volumes, commit logs).
import { join } from "node:path";
import { M3tszEncoder } from "../../codec/index.js";
import { TimeIndex } from "../../index/index.js";
import {
  encodeTags,
  MemoryLogger,
  nodeFileSystem,
  seriesIdString,
  type Tag,
  TimeUnit,
} from "../../x/index.js";
import { tempDirFor } from "../../x/testing.js";
import { CommitLog, type SeriesMetadata } from "../commitlog/index.js";
import {
  type DataVolume,
  type DataVolumeId,
  FileHandlePool,
  type VolumeEntry,
  type VolumeId,
  type VolumeKind,
  writeVolume,
} from "../fs/index.js";
import { type NamespaceOptions, resolveNamespaceOptions } from "../namespace/index.js";
import type { BootstrapContext, BootstrapVolumeKind } from "./bootstrapper.js";
import { type BootstrapProgress, newBootstrapProgress } from "./progress.js";
import type { BootstrapNamespace, BootstrapTarget } from "./target.js";

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const BLOCK = 2 * HOUR;
/** A block boundary, two days after the epoch of the tests. */
export const T0 = Math.floor(1_700_000_000_000 / BLOCK) * BLOCK;

const utf8 = new TextEncoder();
/** A fresh directory, removed when the test file ends. */
export function tempDir(): Promise<string> {
  return tempDirFor("m3ts-bootstrap-test-");
}

export function tagsOf(name: string): Tag[] {
  return [["__name__", name]];
}

export function idOf(name: string): string {
  return seriesIdString(tagsOf(name));
}

/** A datapoint a fake namespace was given, by series ID. */
export interface Restored {
  id: string;
  timeMs: number;
  value: number;
}

/** A namespace that keeps what bootstrap restores into it, in order. */
export class FakeNamespace implements BootstrapNamespace {
  readonly name: string;
  readonly options: NamespaceOptions;
  readonly commitLogFrom: number;
  readonly index: TimeIndex | null;
  readonly ids: string[] = [];
  readonly restored: Restored[] = [];
  /** Datapoints at these times are refused, as a buffer refuses what it cannot hold. */
  readonly refuse = new Set<number>();

  constructor(name: string, options: NamespaceOptions, commitLogFrom = 0) {
    this.name = name;
    this.options = options;
    this.commitLogFrom = commitLogFrom;
    this.index = options.index.enabled ? new TimeIndex(options.index.blockSizeMs) : null;
  }

  seriesRef(id: string): number {
    const known = this.ids.indexOf(id);
    if (known >= 0) return known;
    this.ids.push(id);
    return this.ids.length - 1;
  }

  restore(ref: number, timeMs: number, _nsInMs: number, value: number): boolean {
    if (this.refuse.has(timeMs)) return false;
    this.restored.push({ id: this.ids[ref], timeMs, value });
    return true;
  }

  /** What was restored into series `name`, as [time, value]. */
  pointsOf(name: string): [number, number][] {
    const id = idOf(name);
    return this.restored.filter((r) => r.id === id).map((r) => [r.timeMs, r.value]);
  }
}

/** A target that records the volumes it serves and caches. */
export class FakeTarget implements BootstrapTarget {
  readonly nowMs: number;
  readonly handles: FileHandlePool;
  cachesEverything = false;
  readonly noted: VolumeId[] = [];
  readonly served: DataVolume[] = [];
  readonly cached: { volumeKey: string; id: string }[] = [];
  readonly indexNotes: [string, number, number, number][] = [];
  private readonly byName = new Map<string, FakeNamespace>();

  constructor(nowMs: number, namespaces: FakeNamespace[]) {
    this.nowMs = nowMs;
    this.handles = new FileHandlePool(16, nodeFileSystem);
    for (const ns of namespaces) this.byName.set(ns.name, ns);
  }

  namespace(name: string): FakeNamespace | undefined {
    return this.byName.get(name);
  }

  namespaces(): Iterable<FakeNamespace> {
    return this.byName.values();
  }

  noteDataVolume(id: DataVolumeId): void {
    this.noted.push({
      namespace: id.namespace,
      shard: id.shard,
      blockStartMs: id.startMs,
      volume: id.volume,
    });
  }

  serveDataVolume(reader: DataVolume): string {
    this.served.push(reader);
    const { namespace, shard, startMs, volume } = reader.id;
    return `${namespace}/${shard}/${startMs}/${volume}`;
  }

  cacheSeries(volumeKey: string, id: string): void {
    this.cached.push({ volumeKey, id });
  }

  noteIndexVolumes(namespace: string, blockStartMs: number, oldest: number, newest: number): void {
    this.indexNotes.push([namespace, blockStartMs, oldest, newest]);
  }

  /** Closes the served volumes' readers and the handles. */
  async close(): Promise<void> {
    for (const r of this.served) await r.close();
    await this.handles.close();
  }
}

/** A namespace with two-hour blocks and a day of retention, unless `input` says otherwise. */
export function namespaceOf(
  name: string,
  input: Parameters<typeof resolveNamespaceOptions>[0] = {},
  commitLogFrom = 0,
): FakeNamespace {
  return new FakeNamespace(
    name,
    resolveNamespaceOptions({ blockSizeMs: BLOCK, retentionPeriodMs: 24 * HOUR, ...input }),
    commitLogFrom,
  );
}

/** A context over `root`, with what it counted. */
export function contextOf(
  root: string,
  target: FakeTarget,
): BootstrapContext & {
  progress: BootstrapProgress;
  logger: MemoryLogger;
  corrupt: BootstrapVolumeKind[];
} {
  const corrupt: BootstrapVolumeKind[] = [];
  return {
    fs: nodeFileSystem,
    root,
    commitLogDir: join(root, "commitlogs"),
    target,
    progress: newBootstrapProgress(),
    logger: new MemoryLogger(),
    corrupt,
    onCorruptVolume: (kind) => corrupt.push(kind),
  };
}

/** Writes a volume holding `series`, each a list of [time, value]. */
export async function writeSeriesVolume(
  root: string,
  kind: VolumeKind,
  id: VolumeId,
  series: Record<string, [number, number][]>,
  snapshotTimeMs?: number,
): Promise<void> {
  const entries: VolumeEntry[] = Object.entries(series).map(([name, points]) => {
    const enc = new M3tszEncoder(id.blockStartMs);
    for (const [t, v] of points) enc.encode(t, v, TimeUnit.Millisecond);
    return {
      id: utf8.encode(idOf(name)),
      encodedTags: encodeTags(tagsOf(name)),
      stream: enc.bytes(),
    };
  });
  await writeVolume(root, kind, id, BLOCK, entries, {
    fs: nodeFileSystem,
    ...(snapshotTimeMs !== undefined && { snapshotTimeMs }),
  });
}

/** Writes commit log files in `dir`: one per list of (namespace, series, time, value). */
export async function writeCommitLogs(
  dir: string,
  files: [string, string, number, number][][],
): Promise<void> {
  const log = await CommitLog.open({ dir, strategy: "wait", fs: nodeFileSystem, now: () => T0 });
  const meta = new Map<string, SeriesMetadata>();
  for (let f = 0; f < files.length; f++) {
    if (f > 0) await log.rotate();
    for (const [namespace, name, timeMs, value] of files[f]) {
      const key = `${namespace}/${name}`;
      let m = meta.get(key);
      if (m === undefined) {
        m = {
          seriesIndex: meta.size + 1,
          namespace,
          id: utf8.encode(idOf(name)),
          encodedTags: encodeTags(tagsOf(name)),
          shard: 0,
        };
        meta.set(key, m);
      }
      log.append(m, timeMs, 0, value, TimeUnit.Millisecond, null);
    }
    await log.commit();
  }
  await log.close();
}
