// The client: the one way the coordinator reaches the database, in process
// on a single node, through the cluster client to the replicas of a cluster.
export type { WriteBatch, WriteResult } from "../dbnode/ts/index.js";
export type {
  Client,
  ClusterAggregateRequest,
  EqualTimestampStrategy,
  FetchedSeries,
  FetchLimits,
  IndexLimits,
  NodeState,
  ReadConsistencyLevel,
  SeriesTags,
  WriteConsistencyLevel,
} from "./client.js";
export {
  EQUAL_TIMESTAMP_STRATEGIES,
  FetchDeadlineError,
  READ_CONSISTENCY_LEVELS,
  WRITE_CONSISTENCY_LEVELS,
} from "./client.js";
export {
  CLUSTER_CLIENT_DEFAULTS,
  ClusterClient,
  ClusterClientOptionError,
  type ClusterClientOptions,
  NoPlacementError,
} from "./cluster-client.js";
export {
  isTransient,
  majorityOf,
  ReadConsistencyError,
  type ReplicaError,
  ShardNotAvailableError,
  WriteConsistencyError,
} from "./consistency.js";
export {
  DEFAULT_MAX_RECONNECT_BACKOFF_MS,
  DEFAULT_MAX_RESPONSE_BYTES,
  GrpcNodeTransport,
  type GrpcNodeTransportOptions,
  type GrpcTransportTls,
} from "./grpc-transport.js";
export { HostQueueFullError } from "./host-queue.js";
export { InProcessClient, type InProcessClientOptions } from "./in-process.js";
export { type ShardOwner, shardOfSeries, type Topology, topologyOf } from "./topology.js";
export {
  type NodeAggregateRequest,
  type NodeFetchRequest,
  type NodeHealth,
  NodeOverloadedError,
  type NodeSeries,
  type NodeSeriesTags,
  type NodeTransport,
  NodeUnavailableError,
  RemoteNodeError,
} from "./transport.js";
