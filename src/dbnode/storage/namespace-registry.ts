// The namespace registry of a single node: the namespaces and their options,
// kept as JSON in the data directory so they survive a restart. (Clusters
// keep the same registry in the cluster KV.)
import { join } from "node:path";
import type { FileSystem } from "../../x/index.js";
import {
  type NamespaceOptions,
  type NamespaceOptionsInput,
  resolveNamespaceOptions,
} from "../namespace/index.js";

const REGISTRY_FILE = "namespaces.json";

/** One namespace as the registry keeps it. */
export interface RegistryEntry {
  name: string;
  options: NamespaceOptions;
  /**
   * Index of the first commit log file that may hold the namespace's
   * records: older files belong to a dropped namespace of the same name
   * (0 in registries written before it was recorded: every file).
   */
  commitLogFrom: number;
}

/** Tells apart the temporary files of successive saves. */
let saveCount = 0;

/** The saved namespaces, options resolved and validated; none if there is no registry yet. */
export async function loadRegistry(dataDir: string, fs: FileSystem): Promise<RegistryEntry[]> {
  const path = join(dataDir, REGISTRY_FILE);
  let text: string;
  try {
    text = new TextDecoder().decode(await fs.readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  // A save whose sync failed may have left a registry that is read now but
  // not yet durable; the node acts on what it read, so make that survive.
  const fh = await fs.open(path, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.syncDir(dataDir);
  const saved = JSON.parse(text) as {
    namespaces: { name: string; options: NamespaceOptionsInput; commitLogFrom?: number }[];
  };
  return saved.namespaces.map(({ name, options, commitLogFrom }) => ({
    name,
    options: resolveNamespaceOptions(options),
    commitLogFrom: Number.isSafeInteger(commitLogFrom) ? (commitLogFrom as number) : 0,
  }));
}

/**
 * Writes the registry atomically: a synced temporary file of its own, a
 * rename over the old one, then a sync of the directory so the rename
 * survives a crash. Callers run saves one at a time (Namespaces.changeRegistry).
 */
export async function saveRegistry(
  dataDir: string | null,
  namespaces: readonly RegistryEntry[],
  fs: FileSystem,
): Promise<void> {
  if (dataDir === null) return;
  const path = join(dataDir, REGISTRY_FILE);
  const tmp = `${path}.${++saveCount}.tmp`;
  await fs.writeFile(tmp, JSON.stringify({ namespaces }, null, 2));
  // A failed rename changed nothing: the old registry stands.
  await fs.rename(tmp, path);
  try {
    // The rename is durable only once the directory is synced.
    await fs.syncDir(dataDir);
  } catch (err) {
    throw new RegistryUncertainError(path, err);
  }
}

/**
 * The directory sync after the registry's rename failed: which registry a
 * restart reads, the old or the new, is unknown, so memory can no longer
 * claim to match the disk.
 */
export class RegistryUncertainError extends Error {
  readonly path: string;

  constructor(path: string, cause: unknown) {
    super(
      `saving the namespace registry ${path} failed after its rename (${
        cause instanceof Error ? cause.message : String(cause)
      }): a restart may read the old or the new registry`,
      { cause },
    );
    this.name = "RegistryUncertainError";
    this.path = path;
  }
}
