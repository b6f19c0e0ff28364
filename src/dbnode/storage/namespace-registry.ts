// The namespace registry of a single node: the namespaces and their options,
// kept as JSON in the data directory so they survive a restart. (Clusters
// keep the same registry in the cluster KV.)
import { join } from "node:path";
import { type FileSystem, nodeFileSystem } from "../../x/file-system.js";
import {
  type NamespaceOptions,
  type NamespaceOptionsInput,
  resolveNamespaceOptions,
} from "../namespace/index.js";

const REGISTRY_FILE = "namespaces.json";

/** The saved namespaces, options resolved and validated; none if there is no registry yet. */
export async function loadRegistry(
  dataDir: string,
  fs: FileSystem = nodeFileSystem,
): Promise<{ name: string; options: NamespaceOptions }[]> {
  let text: string;
  try {
    text = new TextDecoder().decode(await fs.readFile(join(dataDir, REGISTRY_FILE)));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  const saved = JSON.parse(text) as {
    namespaces: { name: string; options: NamespaceOptionsInput }[];
  };
  return saved.namespaces.map(({ name, options }) => ({
    name,
    options: resolveNamespaceOptions(options),
  }));
}

/** Writes the registry atomically: a synced temporary file, then a rename over the old one. */
export async function saveRegistry(
  dataDir: string | null,
  namespaces: { name: string; options: NamespaceOptions }[],
  fs: FileSystem = nodeFileSystem,
): Promise<void> {
  if (dataDir === null) return;
  const path = join(dataDir, REGISTRY_FILE);
  await fs.writeFile(`${path}.tmp`, JSON.stringify({ namespaces }, null, 2));
  await fs.rename(`${path}.tmp`, path);
  // The rename is durable only once the directory is synced.
  await fs.syncDir(dataDir);
}
