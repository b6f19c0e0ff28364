// What bootstrap loads into. The database implements these interfaces over
// its namespaces, series buffers and served volumes; bootstrap knows only
// them, so it depends on nothing of the storage engine.

import type { SeriesData } from "../../codec/index.js";
import type { TimeIndex } from "../../index/index.js";
import type { DataVolume, DataVolumeId, FileHandlePool } from "../fs/index.js";
import type { NamespaceOptions } from "../namespace/index.js";

/** A namespace as bootstrap sees it: its options and index, and where restored data goes. */
export interface BootstrapNamespace {
  readonly name: string;
  readonly options: NamespaceOptions;
  /** First commit log file that may hold this namespace's records: older ones are of a dropped namespace of its name. */
  readonly commitLogFrom: number;
  /** The reverse index, or null when the namespace is not indexed. */
  readonly index: TimeIndex | null;
  /** The ref of a restored series, creating the series (in the shard its ID hashes to) if new. */
  seriesRef(id: string, idBytes: Uint8Array, encodedTags: Uint8Array): number;
  /**
   * Writes one restored datapoint into its series' buffer, warm or cold by
   * the write window at bootstrap time, and indexes the series for it;
   * false when the buffer refuses it.
   */
  restore(
    ref: number,
    timeMs: number,
    nsInMs: number,
    value: number,
    unit: number,
    annotation: Uint8Array | null,
  ): boolean;
}

/** The database being bootstrapped: its namespaces and the data volumes it serves reads from. */
export interface BootstrapTarget {
  /** The time retention and write types are judged at, the same for the whole bootstrap. */
  readonly nowMs: number;
  /** The namespace of that name; undefined when there is none (its data belongs to a dropped one). */
  namespace(name: string): BootstrapNamespace | undefined;
  namespaces(): Iterable<BootstrapNamespace>;
  /** The read handles data volumes are opened with; they stay open while served. */
  readonly handles: FileHandlePool;
  /** Records that a data volume number exists on disk, served or not, so that no flush reuses it. */
  noteDataVolume(id: DataVolumeId): void;
  /** Serves a verified data volume for its span; returns the key its series are cached under. */
  serveDataVolume(reader: DataVolume): string;
  /** True when the cache policy keeps every block: a served volume's series are read into the cache. */
  readonly cachesEverything: boolean;
  cacheSeries(volumeKey: string, id: string, stream: SeriesData): void;
  /**
   * Records the index volume numbers of a block that may be on disk,
   * [oldest, newest], so that the next seal numbers above them and removes
   * them once it is written. A later call for the block replaces the record.
   */
  noteIndexVolumes(namespace: string, blockStartMs: number, oldest: number, newest: number): void;
}
