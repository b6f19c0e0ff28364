// The bootstrapper interface (as M3's src/dbnode/storage/bootstrap/ chains
// them): each source of data a node restores from at start implements it, and
// the bootstrap process runs them in order, filesets first, then the snapshot,
// then the commit log. Each one reads what the ones before it found (which
// index blocks were loaded, the commit log file the snapshot covers up to) and
// adds what it finds, so a later source (the peers of a cluster) joins by
// taking its place in the list.
import type { SegmentFormatError } from "../../index/index.js";
import type { FileSystem, Logger } from "../../x/index.js";
import type { IndexVolumeCorruptError, VolumeCorruptError } from "../fs/index.js";
import type { BootstrapProgress } from "./progress.js";
import type { BootstrapTarget } from "./target.js";

/** The kinds of volume bootstrap verifies. */
export type BootstrapVolumeKind = "data" | "snapshot" | "index";

/** Where a bootstrap reads from and what it loads into, the same for every source. */
export interface BootstrapContext {
  readonly fs: FileSystem;
  /** The data directory: data, snapshot and index volumes, snapshot metadata. */
  readonly root: string;
  readonly commitLogDir: string;
  readonly target: BootstrapTarget;
  /** Counted into as the sources go; the node reports it. */
  readonly progress: BootstrapProgress;
  readonly logger: Logger;
  /** Called once for every volume that fails verification (the database counts them). */
  onCorruptVolume(kind: BootstrapVolumeKind): void;
}

/** What the sources found, each adding to it for the ones after it and for the database. */
export interface BootstrapFindings {
  /** Index block starts loaded from index volumes, by namespace. */
  readonly indexBlocksLoaded: Map<string, Set<number>>;
  /** Complete volumes deleted: superseded, past retention, or of namespaces that no longer exist. */
  volumesRemoved: number;
  /** The snapshot loaded, or null when there was none. */
  snapshotIndex: number | null;
  /** Commit log files from this index on hold what the sources before the commit log lack. */
  commitLogFromIndex: number;
  /** The index the next snapshot takes: above every snapshot number found on disk. */
  nextSnapshotIndex: number;
}

/** One source of data a node restores from at start. */
export interface Bootstrapper {
  /** The source's name: "fileset", "snapshot", "commitlog" (and later "peers"). */
  readonly name: string;
  /** Loads what the source holds into `ctx.target`, reading and adding to `found`. */
  bootstrap(ctx: BootstrapContext, found: BootstrapFindings): Promise<void>;
}

/** Findings before any source has run. */
export function noFindings(): BootstrapFindings {
  return {
    indexBlocksLoaded: new Map(),
    volumesRemoved: 0,
    snapshotIndex: null,
    commitLogFromIndex: 0,
    nextSnapshotIndex: 0,
  };
}

/** Counts, records and logs a data or snapshot volume that failed verification: it is not served. */
export function reportCorruptVolume(
  ctx: BootstrapContext,
  kind: "data" | "snapshot",
  err: VolumeCorruptError,
): void {
  ctx.onCorruptVolume(kind);
  ctx.progress.volumesCorrupt.push(`${kind}: ${err.message}`);
  ctx.logger.error(
    { kind, volume: err.volume, file: err.file, reason: err.reason },
    "fileset volume failed verification and is not served; its data is recovered from the commit log where the log still holds it",
  );
}

/** Counts, records and logs an index volume that failed verification: it is not loaded. */
export function reportCorruptIndexVolume(
  ctx: BootstrapContext,
  err: IndexVolumeCorruptError | SegmentFormatError,
): void {
  ctx.onCorruptVolume("index");
  ctx.progress.volumesCorrupt.push(`index: ${err.message}`);
  ctx.logger.error(
    { kind: "index", err: err.message },
    "index volume failed verification and is not loaded; its block is indexed again from the data volumes and the commit log",
  );
}
