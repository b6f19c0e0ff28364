// Bootstrap: the sources a node restores its data from at start (filesets,
// the latest snapshot, the commit log; a cluster's peers later), the
// process that runs them in order, and the target they load into, which the
// storage engine implements.
export {
  type BootstrapContext,
  type BootstrapFindings,
  type Bootstrapper,
  type BootstrapVolumeKind,
  noFindings,
} from "./bootstrapper.js";
export { commitLogBootstrapper } from "./commitlog.js";
export { filesetBootstrapper } from "./fileset.js";
export { DEFAULT_BOOTSTRAPPERS, runBootstrap } from "./process.js";
export {
  type BootstrapProgress,
  type BootstrapState,
  copyBootstrapProgress,
  newBootstrapProgress,
} from "./progress.js";
export { snapshotBootstrapper } from "./snapshot.js";
export type { BootstrapNamespace, BootstrapTarget } from "./target.js";
