// m3ts's configuration: a YAML file checked against the schema table
// (config-schema.ts), which gives every key a default, so `m3ts start` also
// runs with no file at all.
import { readFileSync } from "node:fs";
import { ConfigError } from "./config-error.js";
import { CONFIG_SCHEMA, type M3tsConfig } from "./config-schema.js";
import { expandEnv, parseConfigText } from "./config-text.js";
import { checkConfig, leafPaths } from "./schema.js";

export type { M3tsConfig } from "./config-schema.js";

/** The configuration with no file: the defaults of every key. */
export function defaultConfig(): M3tsConfig {
  return checkConfig(CONFIG_SCHEMA, {});
}

/** Reads and checks a configuration; `dataDir` (from --data-dir) overrides the file's. */
export function loadConfig(options: {
  file?: string;
  text?: string;
  env: Record<string, string | undefined>;
  dataDir?: string;
}): M3tsConfig {
  let text = options.text;
  if (text === undefined && options.file !== undefined) {
    try {
      text = readFileSync(options.file, "utf8");
    } catch (e) {
      throw new ConfigError(
        "--config",
        options.file,
        `a readable YAML file (${(e as Error).message})`,
      );
    }
  }
  const raw = text === undefined ? {} : parseConfigText(text, options.file ?? "configuration");
  const config = checkConfig(CONFIG_SCHEMA, expandEnv(raw, options.env));
  if (options.dataDir !== undefined) config.dataDir = options.dataDir;
  return config;
}

/** Every key path of the file (a namespace's as `namespaces[].key`), for the reference page's test. */
export function schemaKeys(): string[] {
  return leafPaths(CONFIG_SCHEMA).map((p) => p.file);
}
