// What tests use to run the node of `m3ts start`, a dbnode or a cluster's coordinator in process: the embedded
// default configuration and the wiring that starts the database and the
// coordinator from it. (The command's entry point, index.ts, loads a
// command's code only when that command runs.)
export { rpcClientTls, rpcServerTls } from "./cluster-kv.js";
export { defaultConfig, loadConfig, type M3tsConfig } from "./config.js";
export { type RunningClusterCoordinator, startClusterCoordinator } from "./coordinator.js";
export { type RunningDbnode, startDbnode } from "./dbnode.js";
export { type RunningNode, type StartNodeOptions, startNode } from "./start.js";
