// The node's RPC service: node.proto's calls (src/rpc) served over gRPC on
// this node's Database, with bounds on work in flight and per-call deadlines.
export {
  AggregateUnsupportedError,
  CallDeadlineError,
  NodeServerOptionError,
  ServerOverloadedError,
  ShardNotOwnedError,
} from "./errors.js";
export type { EvaluateAggregate } from "./node-calls.js";
export {
  DEFAULT_NODE_SERVER_LIMITS,
  type NodeServer,
  type NodeServerLimits,
  type NodeServerOptions,
  type NodeServerTls,
  startNodeServer,
} from "./server.js";
