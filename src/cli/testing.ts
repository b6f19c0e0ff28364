// What tests use to run the node of `m3ts start` in process: the embedded
// default configuration and the wiring that starts the database and the
// coordinator from it. (The command's entry point, index.ts, loads a
// command's code only when that command runs.)
export { defaultConfig, type M3tsConfig } from "./config.js";
export { type RunningNode, type StartNodeOptions, startNode } from "./start.js";
