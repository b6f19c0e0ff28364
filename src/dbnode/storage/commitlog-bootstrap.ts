// Bootstrap from the commit log: replays every commit log file into the
// namespaces' buffers, skipping what has left retention or belongs to a
// dropped namespace, and reporting torn or corrupt tails it stopped at.
import type { FileSystem } from "../../x/file-system.js";
import { type Logger, M3tsError, shardOf } from "../../x/index.js";
import { listCommitLogFiles, replayCommitLogs, type SeriesMetadata } from "../commitlog/index.js";
import type { Namespace } from "./namespace.js";
import { type SequenceSource, WriteType } from "./series-buffer.js";

export type BootstrapState = "bootstrapping" | "bootstrapped" | "failed";

/** What the node reports while and after it bootstraps. */
export interface BootstrapProgress {
  state: BootstrapState;
  filesTotal: number;
  datapointsReplayed: number;
  datapointsSkipped: number;
  skippedBytes: number;
  corruptFiles: string[];
  /** Data volumes served from disk, and volumes (data or snapshot) that failed verification. */
  volumesServed: number;
  volumesCorrupt: string[];
  /** Datapoints loaded from the latest snapshot. */
  snapshotDatapoints: number;
  /** Series (documents of index blocks) loaded from index volumes. */
  indexDocsLoaded: number;
  error: string | null;
}

/** Where replayed datapoints go. */
export interface ReplayTarget {
  namespaces: ReadonlyMap<string, Namespace>;
  /** The time retention and write types are judged at. */
  nowMs: number;
  numShards: number;
  shardSeed: number;
  nextSeriesIndex(): number;
  seqs: SequenceSource;
}

const utf8 = new TextDecoder();

/** The ref of a series restored at bootstrap, creating it (in the shard its ID hashes to) if new. */
export function seriesRefFor(
  target: ReplayTarget,
  ns: Namespace,
  id: string,
  idBytes: Uint8Array,
  encodedTags: Uint8Array,
): number {
  const ref = ns.series.byId.get(id);
  if (ref !== undefined) return ref;
  const shard = shardOf(idBytes, target.numShards, target.shardSeed);
  return ns.addSeries(id, target.nextSeriesIndex(), shard, encodedTags);
}

/**
 * Writes one restored datapoint into its series' buffer, warm or cold by the
 * write window at bootstrap time; false when the buffer refuses it.
 */
export function restoreDatapoint(
  target: ReplayTarget,
  ns: Namespace,
  ref: number,
  timeMs: number,
  nsInMs: number,
  value: number,
  unit: number,
  annotation: Uint8Array | null,
): boolean {
  const w = ns.window(target.nowMs);
  const type = timeMs >= w.warmStartMs && timeMs < w.warmEndMs ? WriteType.Warm : WriteType.Cold;
  try {
    ns.series.buffers[ref]?.write(
      ns.blockStart(timeMs),
      type,
      timeMs,
      nsInMs,
      value,
      unit,
      annotation,
      target.seqs,
    );
    // Series seen only in the commit log or a snapshot are indexed again here.
    ns.indexWrite(ref, timeMs);
    return true;
  } catch (e) {
    if (!(e instanceof M3tsError)) throw e;
    return false;
  }
}

/**
 * Replays the commit logs in `dir` (those from index `fromIndex` on) into
 * `target`, counting into `progress` and logging skips.
 */
export async function replayCommitLogInto(
  fs: FileSystem,
  dir: string,
  target: ReplayTarget,
  progress: BootstrapProgress,
  logger: Logger,
  fromIndex = 0,
): Promise<void> {
  progress.filesTotal = (await listCommitLogFiles(dir, fs)).filter(
    (f) => f.index >= fromIndex,
  ).length;
  // A series' metadata object is shared by its datapoints within one file.
  const refs = new Map<SeriesMetadata, number>();
  let fileIndex = 0;
  const stats = await replayCommitLogs(
    dir,
    (meta, timeMs, nsInMs, value, unit, annotation) => {
      const ns = target.namespaces.get(meta.namespace);
      // A file older than the namespace holds records of a dropped one of its name.
      if (
        ns === undefined ||
        fileIndex < ns.commitLogFrom ||
        timeMs < target.nowMs - ns.options.retentionPeriodMs
      ) {
        progress.datapointsSkipped++;
        return;
      }
      let ref = refs.get(meta);
      if (ref === undefined) {
        ref = seriesRefFor(target, ns, utf8.decode(meta.id), meta.id, meta.encodedTags);
        refs.set(meta, ref);
      }
      if (restoreDatapoint(target, ns, ref, timeMs, nsInMs, value, unit, annotation)) {
        progress.datapointsReplayed++;
      } else {
        progress.datapointsSkipped++;
      }
    },
    {
      fromIndex,
      fs,
      onFile: (index) => {
        fileIndex = index;
      },
    },
  );
  progress.skippedBytes = stats.skippedBytes;
  progress.corruptFiles = [
    ...stats.corruptFiles,
    ...stats.skipped.map((s) => `${s.file}@${s.offset}: ${s.reason}`),
  ];
  for (const file of stats.corruptFiles) {
    logger.warn({ file }, "commit log file has an unreadable header; none of it was replayed");
  }
  for (const skip of stats.skipped) {
    logger.warn(
      skip,
      "commit log replay stopped early in a file; the rest of the file was skipped",
    );
  }
}
