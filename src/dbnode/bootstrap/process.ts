// The bootstrap process: runs the bootstrappers in order into the target and
// hands back what they found. The database opens its commit log only after:
// a new log file must not be among those replayed.
import {
  type BootstrapContext,
  type BootstrapFindings,
  type Bootstrapper,
  noFindings,
} from "./bootstrapper.js";
import { commitLogBootstrapper } from "./commitlog.js";
import { filesetBootstrapper } from "./fileset.js";
import { snapshotBootstrapper } from "./snapshot.js";

/** M3's order: flushed filesets, then the latest snapshot, then the commit log written after it. */
export const DEFAULT_BOOTSTRAPPERS: readonly Bootstrapper[] = [
  filesetBootstrapper,
  snapshotBootstrapper,
  commitLogBootstrapper,
];

/**
 * Runs `sources` one after the other into `ctx.target`. A source that
 * throws ends the bootstrap with its error: the node must not serve what
 * it could only partly restore.
 */
export async function runBootstrap(
  ctx: BootstrapContext,
  sources: readonly Bootstrapper[] = DEFAULT_BOOTSTRAPPERS,
): Promise<BootstrapFindings> {
  const found = noFindings();
  // Series indexed from now until the last source ends come from disk, not
  // from live writes: the blocks they land in are marked restored.
  for (const ns of ctx.target.namespaces()) if (ns.index !== null) ns.index.restoring = true;
  for (const source of sources) await source.bootstrap(ctx, found);
  for (const ns of ctx.target.namespaces()) if (ns.index !== null) ns.index.restoring = false;
  return found;
}
