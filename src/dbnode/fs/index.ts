// Filesets: the persistent half of one namespace/shard/block, written as
// M3's seven-file volume (info, index, summaries, bloomfilter, data, digest,
// checkpoint) in m3ts's own byte format (docs/format/fileset.md).
export { BloomFilter, bloomParams } from "./bloom-filter.js";
export {
  DuplicateSeriesIdError,
  InvalidVolumeInputError,
  VolumeClosedError,
  VolumeCorruptError,
  VolumeMissingError,
  VolumeWriteError,
  type VolumeWriteOp,
} from "./errors.js";
export {
  type ListedVolume,
  listVolumes,
  removeIncompleteVolumes,
  removeVolume,
  syncVolumeDirs,
  type VerifyResult,
  verifyDataDir,
} from "./files.js";
export { FILE_TYPES, type FileType, type VolumeInfo, type VolumeKind } from "./format.js";
export { DEFAULT_MAX_OPEN_HANDLES, FileHandlePool } from "./handle-pool.js";
export {
  listIndexVolumes,
  readIndexVolume,
  removeIncompleteIndexVolumes,
  removeIndexVolume,
  writeIndexVolume,
} from "./index-volume.js";
export {
  INDEX_VOLUME_FILE_TYPES,
  INDEX_VOLUME_FORMATS,
  IndexVolumeCorruptError,
  type IndexVolumeFileType,
  type IndexVolumeFormat,
  type IndexVolumeId,
  type IndexVolumeInfo,
  IndexVolumeMissingError,
  type IndexVolumeRef,
  indexVolumeDir,
  indexVolumeM3tsPath,
  indexVolumePath,
  type ListedIndexVolume,
  type ReadIndexVolumeInfo,
  type WriteIndexVolumeOptions,
} from "./index-volume-id.js";
export { DEFAULT_INDEX_ZSTD_LEVEL } from "./index-volume-m3ts.js";
export { openVolume, VolumeReader } from "./reader.js";
export {
  listSnapshotMetadata,
  removeSnapshotMetadata,
  type SnapshotMetadata,
  SnapshotMetadataInputError,
  type SnapshotMetadataListing,
  snapshotCheckpointPath,
  snapshotMetadataPath,
  writeSnapshotMetadata,
} from "./snapshot-metadata.js";
export {
  DEFAULT_BLOOM_FALSE_POSITIVE,
  DEFAULT_SUMMARIES_PERCENT,
  type VolumeEntry,
  type VolumeId,
  volumeFilePath,
  type WriteVolumeOptions,
  writeVolume,
} from "./writer.js";
