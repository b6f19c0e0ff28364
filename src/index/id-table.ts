// Series ID → document number for a segment: an open-addressing hash table
// of document numbers in one Int32Array, the IDs themselves staying in the
// segment's array. Compared with a Map of a million strings it takes a
// fraction of the memory, none of it on the garbage-collected heap.

/** FNV-1a over a string's code units. */
function hashOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class IdTable {
  /** Document + 1 per slot; 0 is empty. At most half the slots are used. */
  private slots: Int32Array;
  private used = 0;

  constructor(expected = 0) {
    let size = 16;
    while (size < expected * 2) size *= 2;
    this.slots = new Int32Array(size);
  }

  /** The document whose ID is `id` (`ids[doc]`), if any. */
  get(id: string, ids: readonly string[]): number | undefined {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let slot = hashOf(id) & mask; ; slot = (slot + 1) & mask) {
      const entry = slots[slot];
      if (entry === 0) return undefined;
      if (ids[entry - 1] === id) return entry - 1;
    }
  }

  /**
   * Adds `doc` under its ID, `ids[doc]`, unless another document has that
   * ID: returns that document, or -1 once `doc` is added.
   */
  add(doc: number, ids: readonly string[]): number {
    if (2 * (this.used + 1) > this.slots.length) this.grow(ids);
    const id = ids[doc];
    const slots = this.slots;
    const mask = slots.length - 1;
    let slot = hashOf(id) & mask;
    for (; slots[slot] !== 0; slot = (slot + 1) & mask) {
      if (ids[slots[slot] - 1] === id) return slots[slot] - 1;
    }
    slots[slot] = doc + 1;
    this.used++;
    return -1;
  }

  private grow(ids: readonly string[]): void {
    const old = this.slots;
    const slots = new Int32Array(old.length * 2);
    const mask = slots.length - 1;
    for (let i = 0; i < old.length; i++) {
      if (old[i] === 0) continue;
      let slot = hashOf(ids[old[i] - 1]) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = old[i];
    }
    this.slots = slots;
  }
}
