// The commit log bootstrapper: replays the commit log files the snapshot
// does not cover into the namespaces' buffers, skipping what has left
// retention or belongs to a dropped namespace, and reporting torn or corrupt
// tails it stopped at.
import { listCommitLogFiles, replayCommitLogs, type SeriesMetadata } from "../commitlog/index.js";
import type { BootstrapContext, BootstrapFindings, Bootstrapper } from "./bootstrapper.js";

const utf8 = new TextDecoder();

export const commitLogBootstrapper: Bootstrapper = {
  name: "commitlog",
  bootstrap(ctx: BootstrapContext, found: BootstrapFindings): Promise<void> {
    return replayCommitLog(ctx, found.commitLogFromIndex);
  },
};

/**
 * Replays the commit logs in `ctx.commitLogDir` (those from index
 * `fromIndex` on) into the target, counting into the progress and logging
 * skips.
 */
export async function replayCommitLog(ctx: BootstrapContext, fromIndex = 0): Promise<void> {
  const { fs, target, progress, logger } = ctx;
  const dir = ctx.commitLogDir;
  progress.filesTotal = (await listCommitLogFiles(dir, fs)).filter(
    (f) => f.index >= fromIndex,
  ).length;
  // A series' metadata object is shared by its datapoints within one file.
  const refs = new Map<SeriesMetadata, number>();
  let fileIndex = 0;
  const stats = await replayCommitLogs(
    dir,
    (meta, timeMs, nsInMs, value, unit, annotation) => {
      const ns = target.namespace(meta.namespace);
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
        ref = ns.seriesRef(utf8.decode(meta.id), meta.id, meta.encodedTags);
        refs.set(meta, ref);
      }
      if (ns.restore(ref, timeMs, nsInMs, value, unit, annotation)) {
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
