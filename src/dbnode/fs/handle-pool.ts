// A bounded pool of open read-only file handles shared by volume readers:
// handles are borrowed for one operation and the least recently used idle
// ones are closed once more than `max` are open.
import type { FileHandle, FileSystem } from "../../x/index.js";

interface Slot {
  path: string;
  /** Resolves to the handle once open; shared by concurrent borrowers. */
  handle: Promise<FileHandle>;
  borrowers: number;
}

export const DEFAULT_MAX_OPEN_HANDLES = 128;

/** A bounded pool of open read handles (LRU close beyond `max`). */
export class FileHandlePool {
  readonly max: number;
  /** Where the pooled files live; volume readers using the pool read through it too. */
  readonly fs: FileSystem;
  // Map iteration order is insertion order: re-inserting on use keeps it LRU-first.
  private readonly slots = new Map<string, Slot>();
  private readonly waiters: Array<() => void> = [];
  private closed = false;
  /** Most handles ever open at once (for tests and metrics). */
  highWater = 0;
  /** Handles opened over the pool's life. */
  opens = 0;

  constructor(max = DEFAULT_MAX_OPEN_HANDLES, fs: FileSystem) {
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new RangeError(`FileHandlePool max must be an integer >= 1, got ${max}`);
    }
    this.max = max;
    this.fs = fs;
  }

  /** Handles open now. */
  get size(): number {
    return this.slots.size;
  }

  /** Runs `fn` with an open handle of `path`; the handle stays open (pooled) afterwards. */
  async use<T>(path: string, fn: (fh: FileHandle) => Promise<T>): Promise<T> {
    const slot = await this.borrow(path);
    try {
      return await fn(await slot.handle);
    } finally {
      slot.borrowers--;
      this.wakeOne();
    }
  }

  /** Closes the handles of these paths (a volume being closed or removed). */
  async forget(paths: readonly string[]): Promise<void> {
    for (const path of paths) {
      const slot = this.slots.get(path);
      if (slot === undefined || slot.borrowers > 0) continue;
      this.slots.delete(path);
      await closeSlot(slot);
    }
    this.wakeOne();
  }

  /** Closes every idle handle; later use() calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = [...this.slots.values()];
    this.slots.clear();
    for (const slot of slots) await closeSlot(slot);
    for (const wake of this.waiters.splice(0)) wake();
  }

  private async borrow(path: string): Promise<Slot> {
    for (;;) {
      if (this.closed) throw new Error("FileHandlePool is closed");
      const existing = this.slots.get(path);
      if (existing !== undefined) {
        this.slots.delete(path);
        this.slots.set(path, existing);
        existing.borrowers++;
        return existing;
      }
      if (this.slots.size < this.max || (await this.evictOne())) {
        // evictOne awaited: another borrower may have opened the path meanwhile.
        if (this.slots.has(path) || this.slots.size >= this.max) continue;
        const slot: Slot = { path, handle: this.fs.open(path, "r"), borrowers: 1 };
        this.slots.set(path, slot);
        this.opens++;
        if (this.slots.size > this.highWater) this.highWater = this.slots.size;
        try {
          await slot.handle;
        } catch (err) {
          this.slots.delete(path);
          slot.borrowers--;
          this.wakeOne();
          throw err;
        }
        return slot;
      }
      // Every handle is borrowed: wait for one to be returned.
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Closes the least recently used idle handle; false when every handle is borrowed. */
  private async evictOne(): Promise<boolean> {
    for (const slot of this.slots.values()) {
      if (slot.borrowers === 0) {
        this.slots.delete(slot.path);
        await closeSlot(slot);
        return true;
      }
    }
    return false;
  }

  private wakeOne(): void {
    const wake = this.waiters.shift();
    if (wake !== undefined) wake();
  }
}

async function closeSlot(slot: Slot): Promise<void> {
  let fh: FileHandle;
  try {
    fh = await slot.handle;
  } catch {
    return; // never opened: nothing to close (the opener saw the error)
  }
  await fh.close();
}
