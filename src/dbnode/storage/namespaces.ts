// Namespace management: the namespaces by name, and their creation, update
// and drop. Changes run one at a time, and each saves the registry as it
// will be before memory changes, so saves land in order and memory never
// holds what the registry lacks.
import { dirname, join } from "node:path";
import type { FileSystem } from "../../x/index.js";
import { indexVolumeDir } from "../fs/index.js";
import {
  type NamespaceOptions,
  type NamespaceOptionsInput,
  namespaceOptionsUpdate,
  resolveNamespaceOptions,
  validateNamespaceName,
} from "../namespace/index.js";
import {
  NamespaceChangingError,
  NamespaceExistsError,
  NodeFailedError,
  NodeStoppingError,
  UnknownNamespaceError,
} from "./errors.js";
import type { Lifecycle } from "./lifecycle.js";
import { Namespace } from "./namespace.js";
import { type RegistryEntry, RegistryUncertainError, saveRegistry } from "./namespace-registry.js";

/** What namespace changes wait for, outside namespace management. */
export interface NamespaceHost {
  /** Settles when bootstrap has finished (rejects if it failed). */
  bootstrapped(): Promise<void>;
  /** Settles when the tick under way, if any, has ended. */
  tickEnded(): Promise<unknown> | undefined;
}

export class Namespaces {
  private readonly byName = new Map<string, Namespace>();
  private readonly dataDir: string | null;
  private readonly fs: FileSystem;
  private readonly numShards: number;
  private readonly life: Lifecycle;
  private readonly host: NamespaceHost;
  /** The namespace change under way; the next one starts after it (changeRegistry). */
  private registryChain: Promise<unknown> = Promise.resolve();

  constructor(
    entries: readonly RegistryEntry[],
    dataDir: string | null,
    fs: FileSystem,
    numShards: number,
    life: Lifecycle,
    host: NamespaceHost,
  ) {
    this.dataDir = dataDir;
    this.fs = fs;
    this.numShards = numShards;
    this.life = life;
    this.host = host;
    for (const { name, options, commitLogFrom } of entries) {
      this.byName.set(name, new Namespace(name, options, numShards, commitLogFrom));
    }
  }

  /** The namespace of that name, if it exists. */
  get(name: string): Namespace | undefined {
    return this.byName.get(name);
  }

  /** The namespace of that name; throws UnknownNamespaceError if there is none. */
  namespaceOf(name: string): Namespace {
    const ns = this.byName.get(name);
    if (ns === undefined) throw new UnknownNamespaceError(name);
    return ns;
  }

  /** False once `ns` has been dropped (even if a namespace of its name was created since). */
  isLive(ns: Namespace): boolean {
    return this.byName.get(ns.name) === ns;
  }

  values(): IterableIterator<Namespace> {
    return this.byName.values();
  }

  get size(): number {
    return this.byName.size;
  }

  /** Every namespace with its options, by name. */
  list(): { name: string; options: NamespaceOptions }[] {
    return [...this.byName.values()]
      .map((ns) => ({ name: ns.name, options: ns.options }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Creates a namespace with M3's defaults for every option not given. It is
   * visible (takes writes) only once the registry holding it is saved.
   */
  async create(name: string, input: NamespaceOptionsInput = {}): Promise<NamespaceOptions> {
    validateNamespaceName(name);
    const options = resolveNamespaceOptions(input);
    await this.host.bootstrapped();
    return this.changeRegistry(async () => {
      if (this.byName.has(name)) throw new NamespaceExistsError(name);
      // Volumes a dropped namespace of this name left behind (a drop cut
      // short, a snapshot taken before the drop) must not become this one's.
      await this.removeNamespaceFiles(name);
      // Its commit-log records start in a fresh file: replay gives it only
      // records from there on, never those of a dropped namespace of its name.
      const commitLogFrom = await this.freshCommitLogIndex();
      const ns = new Namespace(name, options, this.numShards, commitLogFrom);
      await this.saveNamespaces(this.registryEntries([...this.byName.values(), ns]));
      if (this.life.closed) throw new NodeStoppingError(`create namespace "${name}"`);
      this.byName.set(name, ns);
      return options;
    });
  }

  /** Changes the options M3 allows to change on a live namespace, once the registry holds them. */
  async update(name: string, input: NamespaceOptionsInput): Promise<NamespaceOptions> {
    this.namespaceOf(name);
    await this.host.bootstrapped();
    return this.changeRegistry(async () => {
      const ns = this.namespaceOf(name);
      const options = namespaceOptionsUpdate(ns.options, input);
      const entries = this.registryEntries([...this.byName.values()]).map((e) =>
        e.name === name ? { ...e, options } : e,
      );
      await this.saveNamespaces(entries);
      if (this.byName.get(name) !== ns) {
        throw new NamespaceChangingError(name, "was dropped while its options were saved");
      }
      ns.options = options;
      return options;
    });
  }

  /**
   * Drops a namespace with its in-memory data and its filesets. A tick under
   * way finishes before the files go, so none of the namespace's volumes is
   * written after; a namespace of the same name can be created only after.
   */
  async drop(name: string): Promise<void> {
    this.namespaceOf(name);
    await this.host.bootstrapped();
    return this.changeRegistry(async () => {
      const ns = this.namespaceOf(name);
      const rest = [...this.byName.values()].filter((n) => n !== ns);
      await this.saveNamespaces(this.registryEntries(rest));
      this.byName.delete(name);
      const p = this.life.persistence;
      if (p === null) return;
      await this.host.tickEnded();
      p.disk.forgetNamespace(name);
      p.indexVolumes.forgetNamespace(name);
      await p.disk.drain();
      // Should this be cut short, the next create of the name removes what is left.
      await this.removeNamespaceFiles(name);
    });
  }

  /** Removes every volume a namespace of this name has (or had) on disk, durably. */
  private async removeNamespaceFiles(name: string): Promise<void> {
    if (this.dataDir === null) return;
    const dirs = [
      join(this.dataDir, "data", name),
      join(this.dataDir, "snapshots", name),
      indexVolumeDir(this.dataDir, name),
    ];
    for (const dir of dirs) {
      await this.fs.rm(dir, { recursive: true, force: true });
      // The removal survives a crash only once the parent directory is synced.
      await this.fs.mkdir(dirname(dir), { recursive: true });
      await this.fs.syncDir(dirname(dir));
    }
  }

  /**
   * Runs namespace changes one at a time: each saves the registry as it
   * will be, then changes memory, so saves land in order and memory never
   * holds what the registry lacks.
   */
  private changeRegistry<T>(change: () => Promise<T>): Promise<T> {
    const run = this.registryChain.then(() => {
      // A failed node's memory may not match its registry: change neither.
      if (this.life.failure !== null) {
        throw new NodeFailedError("change namespaces", this.life.failure);
      }
      return change();
    });
    this.registryChain = run.catch(() => {});
    return run;
  }

  private registryEntries(namespaces: readonly Namespace[]): RegistryEntry[] {
    return namespaces
      .map((ns) => ({ name: ns.name, options: ns.options, commitLogFrom: ns.commitLogFrom }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Rotates the commit log and returns the new file's index (0 without an open log). */
  private async freshCommitLogIndex(): Promise<number> {
    const p = this.life.withOpenLog;
    if (p === null) return 0;
    await p.log.rotate();
    return p.log.currentIndex;
  }

  /** Saves the registry; a save whose outcome on disk is unknown stops the node taking writes. */
  private async saveNamespaces(entries: RegistryEntry[]): Promise<void> {
    try {
      await saveRegistry(this.dataDir, entries, this.fs);
    } catch (err) {
      if (err instanceof RegistryUncertainError) this.life.failStop(err);
      throw err;
    }
  }
}
