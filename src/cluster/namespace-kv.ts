// The namespace registry as the cluster KV holds it: M3's Registry in its
// JSON form, `{namespaces: {<name>: NamespaceOptions}}` with int64
// nanoseconds as strings, under M3's key `m3db.node.namespaces`.
import type { NamespaceOptions } from "../dbnode/namespace/index.js";
import { resolveNamespaceOptions } from "../dbnode/namespace/index.js";
import type { KV } from "./kv.js";
import { namespaceOptionsFromJson, registryToJson } from "./namespace-json.js";
import { NAMESPACES_KEY } from "./placement.js";

export interface RegistryJson {
  /** 0 when the key does not exist yet. */
  version: number;
  registry: { namespaces: Record<string, unknown> };
}

export async function readRegistry(kv: KV): Promise<RegistryJson> {
  const got = await kv.get(NAMESPACES_KEY);
  if (got === null) return { version: 0, registry: { namespaces: {} } };
  const value = got.value as { namespaces?: Record<string, unknown> };
  return { version: got.version, registry: { namespaces: { ...(value.namespaces ?? {}) } } };
}

/** The registry's namespaces with their options resolved. */
export function registryNamespaces(
  registry: RegistryJson["registry"],
): { name: string; options: NamespaceOptions }[] {
  return Object.entries(registry.namespaces).map(([name, json]) => ({
    name,
    options: resolveNamespaceOptions(namespaceOptionsFromJson(json)),
  }));
}

/** The registry value (the KV's form) for a list of namespaces. */
export function registryOf(list: readonly { name: string; options: NamespaceOptions }[]) {
  return registryToJson(list).registry;
}
