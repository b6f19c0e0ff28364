// The snapshot bootstrapper (M3's fs bootstrapper reads snapshots too:
// src/dbnode/storage/bootstrap/bootstrapper/fs/): loads the latest complete
// snapshot's volumes into the buffers and removes every other snapshot volume
// and metadata file. The commit log files from the one the snapshot names on
// hold what it lacks (commitlog.ts).
import { M3tszIterator } from "../../codec/index.js";
import {
  listSnapshotMetadata,
  listVolumes,
  openVolume,
  removeIncompleteVolumes,
  removeSnapshotMetadata,
  syncVolumeDirs,
  VolumeCorruptError,
} from "../fs/index.js";
import {
  type BootstrapContext,
  type BootstrapFindings,
  type Bootstrapper,
  reportCorruptVolume,
} from "./bootstrapper.js";

const fromUtf8 = new TextDecoder();

export const snapshotBootstrapper: Bootstrapper = {
  name: "snapshot",
  async bootstrap(ctx: BootstrapContext, found: BootstrapFindings): Promise<void> {
    const snap = await loadLatestSnapshot(ctx);
    ctx.progress.snapshotDatapoints = snap.datapoints;
    found.snapshotIndex = snap.index;
    found.commitLogFromIndex = snap.commitLogIndex;
    found.nextSnapshotIndex = snap.nextIndex;
  },
};

export interface SnapshotLoaded {
  /** The snapshot loaded, or null when there is none. */
  index: number | null;
  /** Commit log files from this index on hold what the snapshot lacks. */
  commitLogIndex: number;
  /** The index the next snapshot takes. */
  nextIndex: number;
  datapoints: number;
}

/**
 * Loads the latest complete snapshot's volumes into the buffers and removes
 * every other snapshot volume and metadata file.
 */
export async function loadLatestSnapshot(ctx: BootstrapContext): Promise<SnapshotLoaded> {
  const { fs, root, target, progress } = ctx;
  await removeIncompleteVolumes(root, "snapshot", fs);
  const listing = await listSnapshotMetadata(root, fs);
  const latest = listing.complete.at(-1) ?? null;
  let maxIndex = -1;
  for (const m of listing.complete) maxIndex = Math.max(maxIndex, m.index);
  for (const m of listing.invalid) maxIndex = Math.max(maxIndex, m.index);
  let datapoints = 0;
  const it = new M3tszIterator();
  const snapshotVolumes = await listVolumes(root, "snapshot", undefined, undefined, fs);
  // What is loaded must survive a crash, as the commit logs it replaces may go.
  await syncVolumeDirs(
    root,
    "snapshot",
    snapshotVolumes.filter((v) => v.volume === latest?.index),
    fs,
  );
  for (const v of snapshotVolumes) {
    // Volumes of other snapshots stay until the next snapshot's cleanup:
    // were they removed here and came back after a crash, a later snapshot
    // could take their number and read them as its own. Counting them keeps
    // the next number above theirs.
    maxIndex = Math.max(maxIndex, v.volume);
    if (latest === null || v.volume !== latest.index) continue;
    const ns = target.namespace(v.namespace);
    if (ns === undefined) continue;
    let reader: Awaited<ReturnType<typeof openVolume>>;
    try {
      reader = await openVolume(
        root,
        "snapshot",
        { namespace: v.namespace, shard: v.shard, blockStartMs: v.blockStartMs, volume: v.volume },
        fs,
      );
    } catch (err) {
      if (!(err instanceof VolumeCorruptError)) throw err;
      reportCorruptVolume(ctx, "snapshot", err);
      continue;
    }
    try {
      const cutoff = target.nowMs - ns.options.retentionPeriodMs;
      for await (const e of reader.entries()) {
        const ref = ns.seriesRef(fromUtf8.decode(e.id), e.id, e.encodedTags);
        it.reset(e.stream);
        while (it.next()) {
          if (it.timeMs < cutoff) continue;
          if (ns.restore(ref, it.timeMs, it.nsInMs, it.value, it.unit, it.annotation)) {
            datapoints++;
          } else {
            progress.datapointsSkipped++;
          }
        }
        if (it.error !== null) {
          // The volume's checksums passed, so the stream is as it was written.
          throw new Error(
            `snapshot volume ${v.namespace}/${v.shard}/${v.blockStartMs}: ${it.error}`,
          );
        }
      }
    } finally {
      await reader.close();
    }
  }
  // Only the listed files: an invalid entry may be stray temp files beside a complete index.
  for (const m of listing.invalid) for (const p of m.paths) await fs.rm(p, { force: true });
  for (const m of listing.complete) {
    if (m !== latest) await removeSnapshotMetadata(root, m.index, fs);
  }
  if (latest !== null) {
    ctx.logger.info(
      { snapshot: latest.index, commitLogIndex: latest.commitLogIndex, datapoints },
      "loaded the latest snapshot",
    );
  }
  return {
    index: latest?.index ?? null,
    commitLogIndex: latest?.commitLogIndex ?? 0,
    nextIndex: maxIndex + 1,
    datapoints,
  };
}
