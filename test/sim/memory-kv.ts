// The cluster KV of the simulation: versioned values in memory, with the
// KV interface's semantics (versions from 1, check-and-set, watches told
// in order), answering without real I/O so the seed alone orders the run.
import {
  type KV,
  KVClosedError,
  KVKeyExistsError,
  type KVValue,
  KVVersionMismatchError,
} from "../../src/cluster/index.js";

export class MemoryKV implements KV {
  private readonly values = new Map<string, KVValue>();
  private readonly watchers = new Map<string, Set<(v: KVValue | null) => void>>();
  private closed = false;

  async get(key: string): Promise<KVValue | null> {
    const v = this.values.get(key);
    return v === undefined ? null : { value: structuredClone(v.value), version: v.version };
  }

  async set(key: string, value: unknown): Promise<number> {
    return this.put(key, value);
  }

  async checkAndSet(key: string, expectedVersion: number, value: unknown): Promise<number> {
    const actual = this.values.get(key)?.version ?? 0;
    if (actual !== expectedVersion) throw new KVVersionMismatchError(key, expectedVersion, actual);
    return this.put(key, value);
  }

  async setIfNotExists(key: string, value: unknown): Promise<number> {
    if (this.values.has(key)) throw new KVKeyExistsError(key);
    return this.put(key, value);
  }

  async delete(key: string): Promise<KVValue | null> {
    if (this.closed) throw new KVClosedError(key);
    const old = this.values.get(key) ?? null;
    this.values.delete(key);
    if (old !== null) this.tell(key, null);
    return old;
  }

  watch(key: string, onChange: (value: KVValue | null) => void): () => void {
    let set = this.watchers.get(key);
    if (set === undefined) {
      set = new Set();
      this.watchers.set(key, set);
    }
    set.add(onChange);
    return () => set.delete(onChange);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watchers.clear();
  }

  private put(key: string, value: unknown): number {
    if (this.closed) throw new KVClosedError(key);
    const version = (this.values.get(key)?.version ?? 0) + 1;
    const v = { value: structuredClone(value), version };
    this.values.set(key, v);
    this.tell(key, v);
    return version;
  }

  private tell(key: string, v: KVValue | null): void {
    for (const w of this.watchers.get(key) ?? []) {
      w(v === null ? null : { value: structuredClone(v.value), version: v.version });
    }
  }
}
