// Cluster metadata: the KV interface with the embedded file-backed KV, and
// M3's placement model.
export { FileKV, KVCorruptError } from "./file-kv.js";
export { type KV, KVKeyExistsError, type KVValue, KVVersionMismatchError } from "./kv.js";
export {
  AdminRequestError,
  ensureLocalPlacement,
  type Instance,
  isLocalPlacement,
  localPlacement,
  NAMESPACES_KEY,
  PLACEMENT_KEY,
  type Placement,
  type PlacementInit,
  placementInitFromJson,
  placementToJson,
  type Shard,
  type ShardState,
} from "./placement.js";
