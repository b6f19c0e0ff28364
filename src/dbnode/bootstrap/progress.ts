// What a node reports while and after it bootstraps: its state, and what the
// sources loaded, skipped and found damaged on the way.

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

/** The progress of a bootstrap that has not started yet. */
export function newBootstrapProgress(): BootstrapProgress {
  return {
    state: "bootstrapping",
    filesTotal: 0,
    datapointsReplayed: 0,
    datapointsSkipped: 0,
    skippedBytes: 0,
    corruptFiles: [],
    volumesServed: 0,
    volumesCorrupt: [],
    snapshotDatapoints: 0,
    indexDocsLoaded: 0,
    error: null,
  };
}

/** A copy of `progress` the caller may keep: later counts do not change it. */
export function copyBootstrapProgress(progress: BootstrapProgress): BootstrapProgress {
  return {
    ...progress,
    corruptFiles: [...progress.corruptFiles],
    volumesCorrupt: [...progress.volumesCorrupt],
  };
}
