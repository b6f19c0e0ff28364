// Filesets: the persistent half of one namespace/shard/block, written as
// M3's seven-file volume (info, index, summaries, bloomfilter, data, digest,
// checkpoint) in m3ts's own byte format (docs/format/fileset.md).
export { BloomFilter, bloomParams } from "./bloom-filter.js";
export {
  type DataEntry,
  type DataVolume,
  type DataVolumeFormat,
  type DataVolumeId,
  dataVolumeLabel,
  type ListedDataVolume,
  listDataVolumes,
  openDataVolume,
  removeDataVolume,
  removeIncompleteDataVolumes,
  syncDataVolumeDirs,
  writeDataVolume,
} from "./data-volume.js";
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
export {
  compareBytes,
  FILE_TYPES,
  type FileType,
  type VolumeInfo,
  type VolumeKind,
} from "./format.js";
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
export {
  type ListedPackedVolume,
  listPackedVolumes,
  removePackedTempFiles,
  removePackedVolume,
} from "./packed-volume-files.js";
export {
  DEFAULT_ZSTD_LEVEL,
  FRAME_RAW_BYTES,
  METADATA_CHUNK_RAW_BYTES,
  type PackedVolumeId,
  type PackedVolumeInfo,
  packedVolumeFileName,
  packedVolumePath,
} from "./packed-volume-format.js";
export {
  FRAME_CACHE_FRAMES,
  METADATA_CACHE_CHUNKS,
  openPackedVolume,
  PackedVolumeMissingError,
  PackedVolumeReader,
} from "./packed-volume-reader.js";
export {
  type PackedVolumeEntry,
  type WritePackedVolumeOptions,
  writePackedVolume,
} from "./packed-volume-writer.js";
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
