// What a database with a data directory has open once it has bootstrapped:
// the served data volumes, the index volumes, the commit log and the flush
// runs that write the buffers out. One object, there as a whole from the end
// of bootstrap on (and never for a database in memory).
import { join } from "node:path";
import type { FileSystem } from "../../x/index.js";
import type { CommitLog } from "../commitlog/index.js";
import type { DiskBlocks } from "./disk-blocks.js";
import type { FlushManager } from "./flush-manager.js";
import type { IndexVolumes } from "./index-volumes.js";

export interface Persistence {
  /** The file system the data directory is on. */
  readonly fs: FileSystem;
  readonly dataDir: string;
  readonly commitLogDir: string;
  /** The data volumes reads are served from. */
  readonly disk: DiskBlocks;
  readonly indexVolumes: IndexVolumes;
  readonly log: CommitLog;
  readonly flusher: FlushManager;
  /** Start of the block period the commit log file being written belongs to; the tick rotates when the clock leaves it. */
  logPeriodStartMs: number;
  /**
   * True until close has closed the commit log and settled the writes it
   * held; after that nothing rotates the log or removes its files.
   */
  logOpen: boolean;
}

/** Where a data directory keeps its commit log files. */
export function commitLogDirOf(dataDir: string): string {
  return join(dataDir, "commitlogs");
}
