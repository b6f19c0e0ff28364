// Keeps the node's namespaces equal to the KV registry, as an M3 dbnode
// watches `m3db.node.namespaces`: a namespace added there is created, one
// changed is updated (only what may change), one removed is dropped. At
// start, a single node fills an empty registry from its own namespaces plus
// the configured ones, so a first start needs no admin call; a cluster's
// dbnode only follows it (the admin API writes it).
import type { KV } from "../cluster/index.js";
import {
  KVKeyExistsError,
  NAMESPACES_KEY,
  readRegistry,
  registryNamespaces,
  registryOf,
} from "../cluster/index.js";
import type { NamespaceOptionsInput } from "../dbnode/namespace/index.js";
import type { Database } from "../dbnode/storage/index.js";
import type { Logger } from "../x/index.js";

export class NamespaceSync {
  private readonly db: Database;
  private readonly kv: KV;
  private readonly logger: Logger;
  private unwatch: (() => void) | null = null;
  private readonly seed: boolean;
  private applying: Promise<void> = Promise.resolve();

  constructor(db: Database, kv: KV, logger: Logger, options: { seed?: boolean } = {}) {
    this.db = db;
    this.kv = kv;
    this.logger = logger;
    this.seed = options.seed ?? true;
  }

  /** Seeds the registry when empty (unless told not to), applies it, then follows its changes. */
  async start(
    configured: readonly { name: string; options: NamespaceOptionsInput }[],
  ): Promise<void> {
    const current = await readRegistry(this.kv);
    if (current.version === 0 && this.seed) {
      for (const { name, options } of configured) {
        if (!this.db.listNamespaces().some((ns) => ns.name === name)) {
          await this.db.createNamespace(name, options);
        }
      }
      try {
        await this.kv.setIfNotExists(NAMESPACES_KEY, registryOf(this.db.listNamespaces()));
      } catch (e) {
        if (!(e instanceof KVKeyExistsError)) throw e;
      }
    }
    await this.apply();
    this.unwatch = this.kv.watch(NAMESPACES_KEY, () => {
      this.applying = this.applying
        .then(() => this.apply())
        .catch((e) => {
          this.logger.error({ err: e }, "applying the namespace registry failed");
        });
    });
  }

  /** Applies the registry as it is now, after any change still being applied. */
  settle(): Promise<void> {
    this.applying = this.applying.then(() => this.apply());
    return this.applying;
  }

  stop(): void {
    this.unwatch?.();
    this.unwatch = null;
  }

  private async apply(): Promise<void> {
    const { registry } = await readRegistry(this.kv);
    const wanted = registryNamespaces(registry);
    const have = new Map(this.db.listNamespaces().map((ns) => [ns.name, ns.options]));
    for (const { name, options } of wanted) {
      const existing = have.get(name);
      if (existing === undefined) {
        await this.db.createNamespace(name, options);
        this.logger.info({ namespace: name }, "namespace created from the registry");
      } else if (JSON.stringify(existing) !== JSON.stringify(options)) {
        await this.db.updateNamespace(name, options);
        this.logger.info({ namespace: name }, "namespace updated from the registry");
      }
    }
    const names = new Set(wanted.map((ns) => ns.name));
    for (const name of have.keys()) {
      if (!names.has(name)) {
        await this.db.dropNamespace(name);
        this.logger.info({ namespace: name }, "namespace dropped from the registry");
      }
    }
  }
}
