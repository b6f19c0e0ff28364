// Cluster metadata: the KV interface with the embedded file-backed KV and
// the etcd one, and M3's placement model with its admin JSON.
export {
  DEFAULT_ETCD_CALL_TIMEOUT_MS,
  DEFAULT_ETCD_DIAL_TIMEOUT_MS,
  DEFAULT_ETCD_ENV,
  EtcdKV,
  type EtcdKVOptions,
  EtcdKVOptionsError,
  type EtcdKVTls,
  etcdKeyOf,
  MAX_ETCD_VALUE_BYTES,
} from "./etcd-kv.js";
export {
  FileKV,
  KV_FILE,
  KV_TEMP_FILE,
  KVCorruptError,
  MAX_KV_FILE_BYTES,
  MAX_KV_VALUE_BYTES,
} from "./file-kv.js";
export {
  durationToNanos,
  isJsonObject,
  type Json,
  jsonpbBool,
  jsonpbCount,
  jsonpbFields,
  jsonpbMs,
} from "./jsonpb.js";
export {
  type KV,
  KVClosedError,
  KVInvalidValueError,
  KVKeyExistsError,
  KVUnavailableError,
  type KVValue,
  KVVersionMismatchError,
} from "./kv.js";
export {
  namespaceAddFromJson,
  namespaceOptionsFromJson,
  namespaceOptionsToJson,
  registryToJson,
} from "./namespace-json.js";
export {
  type RegistryJson,
  readRegistry,
  registryNamespaces,
  registryOf,
} from "./namespace-kv.js";
export {
  AdminRequestError,
  ensureLocalPlacement,
  type Instance,
  isLocalPlacement,
  LOCAL_INSTANCE_ID,
  LOCAL_ISOLATION_GROUP,
  LOCAL_ZONE,
  localPlacement,
  MAX_NUM_SHARDS,
  MAX_PLACEMENT_INSTANCES,
  NAMESPACES_KEY,
  PLACEMENT_KEY,
  type Placement,
  type PlacementInit,
  placementInitFromJson,
  placementToJson,
  type Shard,
  type ShardState,
} from "./placement.js";
export {
  type IdealLoad,
  InvalidPlacementInputError,
  idealLoads,
  initialPlacement,
  MAX_INSTANCE_WEIGHT,
  NotEnoughIsolationGroupsError,
  type PlacementInstanceInput,
} from "./placement-algorithm.js";
export {
  InvalidPlacementError,
  instanceShards,
  type ShardOwner,
  type ShardOwners,
  shardOwners,
} from "./placement-owners.js";
export {
  DEFAULT_MAX_MARK_ATTEMPTS,
  type MarkResult,
  markShardsAvailable,
  PlacementContendedError,
  PlacementInstanceMissingError,
} from "./placement-shard-state.js";
