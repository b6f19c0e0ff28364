// A namespace's reverse index, partitioned in time by the index block size:
// a series is inserted into the block of every time it is written in, so a
// query over [start, end) finds only series written in that range. A block
// holds read-only segments (sealed ones, and mutable ones frozen while they
// are being sealed) and one mutable segment taking new series; a series is
// in at most one segment of a block.
import type { Tag } from "../x/index.js";
import type { Matcher } from "./matcher.js";
import { MutableSegment } from "./mutable-segment.js";
import type { SealedSegment } from "./sealed-segment.js";
import { QueryLimitError, ScanBudget, searchSegment } from "./search.js";
import type { Segment } from "./segment.js";

export interface QueryLimits {
  /** Most series a query may return (default unlimited). */
  maxSeries?: number;
  /** Most postings entries a query may read across blocks (default unlimited). */
  maxDocsScanned?: number;
}

export interface QueryResult {
  /** Series IDs, each once, in no particular order (callers that need one sort). */
  ids: string[];
  /** Tags of each series, by the same position (decoded on first use). */
  readonly tags: (readonly Tag[])[];
  /** Postings entries read. */
  docsScanned: number;
}

interface IndexBlock {
  /** Read-only segments. */
  sealed: Segment[];
  /** The segment new series go to; null until one arrives. */
  mutable: MutableSegment | null;
  /** Filled while restoring: a fresh series may be in it all the same. */
  restored: boolean;
}

/** Segments frozen for sealing one block: encode them, then finishSeal. */
export interface SealJob {
  readonly blockStartMs: number;
  readonly segments: readonly Segment[];
}

export class TimeIndex {
  readonly blockSizeMs: number;
  private readonly blocks = new Map<number, IndexBlock>();
  /**
   * True while a bootstrap fills the index from disk, where series are
   * indexed without the caller knowing whether they are fresh; blocks
   * touched meanwhile always check for a series already there.
   */
  restoring = false;

  constructor(blockSizeMs: number) {
    if (!Number.isSafeInteger(blockSizeMs) || blockSizeMs <= 0) {
      throw new RangeError(`index blockSizeMs must be a positive integer, got ${blockSizeMs}`);
    }
    this.blockSizeMs = blockSizeMs;
  }

  /** Start of the index block holding `timeMs`. */
  blockStart(timeMs: number): number {
    return Math.floor(timeMs / this.blockSizeMs) * this.blockSizeMs;
  }

  /** Indexes a series for the block holding `timeMs` (a no-op when already there). */
  insert(id: string, tags: readonly Tag[], timeMs: number): void {
    const b = this.blockFor(timeMs);
    if (b.sealed.length > 0 && inAny(b.sealed, id)) return;
    b.mutable ??= new MutableSegment();
    b.mutable.insert(id, tags);
  }

  /**
   * Indexes a series, given its encoded tags, for the block holding
   * `timeMs`; the tags are decoded only when the series is new there.
   * `fresh`: the caller knows the series was never inserted into this index
   * since it was created (outside a restore), which spares the lookup of
   * its ID among the block's new series.
   */
  insertEncoded(id: string, encodedTags: Uint8Array, timeMs: number, fresh = false): void {
    const b = this.blockFor(timeMs);
    if (b.sealed.length > 0 && inAny(b.sealed, id)) return;
    b.mutable ??= new MutableSegment();
    if (fresh && !b.restored) b.mutable.addEncoded(id, encodedTags);
    else b.mutable.insertEncoded(id, encodedTags);
  }

  private blockFor(timeMs: number): IndexBlock {
    const start = this.blockStart(timeMs);
    let b = this.blocks.get(start);
    if (b === undefined) {
      b = { sealed: [], mutable: null, restored: false };
      this.blocks.set(start, b);
    }
    if (this.restoring) b.restored = true;
    return b;
  }

  /** True when the series is indexed in the block holding `timeMs`. */
  has(id: string, timeMs: number): boolean {
    const b = this.blocks.get(this.blockStart(timeMs));
    if (b === undefined) return false;
    return inAny(b.sealed, id) || b.mutable?.docOf(id) !== undefined;
  }

  /** Block starts held, ascending. */
  blockStarts(): number[] {
    return [...this.blocks.keys()].sort((a, b) => a - b);
  }

  /** Drops blocks ending at or before `cutoffMs`; returns how many. */
  dropBlocksBefore(cutoffMs: number): number {
    let n = 0;
    for (const start of [...this.blocks.keys()]) {
      if (start + this.blockSizeMs <= cutoffMs) {
        this.blocks.delete(start);
        n++;
      }
    }
    return n;
  }

  /**
   * Blocks ending at or before `endMs` that hold anything not yet sealed
   * into a single segment, ascending.
   */
  unsealedBlocksBefore(endMs: number): number[] {
    const out: number[] = [];
    for (const [start, b] of this.blocks) {
      if (start + this.blockSizeMs > endMs) continue;
      if (b.mutable !== null || b.sealed.length > 1 || b.sealed.some((s) => !isSealed(s))) {
        out.push(start);
      }
    }
    return out.sort((a, b) => a - b);
  }

  /**
   * Freezes a block for sealing: its mutable segment stops taking series
   * (new ones start another) and every segment it holds is returned, to be
   * encoded into one sealed segment and handed to finishSeal.
   */
  beginSeal(blockStartMs: number): SealJob {
    const b = this.blocks.get(blockStartMs);
    if (b === undefined) return { blockStartMs, segments: [] };
    if (b.mutable !== null) {
      b.sealed.push(b.mutable);
      b.mutable = null;
    }
    return { blockStartMs, segments: [...b.sealed] };
  }

  /**
   * Replaces a job's segments with the sealed segment made of them. A block
   * dropped meanwhile stays dropped. Until this is called, or if it never is,
   * the frozen segments keep answering queries.
   */
  finishSeal(job: SealJob, sealed: SealedSegment): void {
    const b = this.blocks.get(job.blockStartMs);
    if (b === undefined) return;
    b.sealed = [sealed, ...b.sealed.filter((s) => !job.segments.includes(s))];
  }

  /** Adds a sealed segment loaded from disk to its block. */
  load(blockStartMs: number, sealed: SealedSegment): void {
    if (this.blockStart(blockStartMs) !== blockStartMs) {
      throw new RangeError(
        `index block start ${blockStartMs} is not a multiple of the block size ${this.blockSizeMs}`,
      );
    }
    const b = this.blockFor(blockStartMs);
    b.sealed.push(sealed);
  }

  /** The series every matcher accepts among those written in [startMs, endMs). */
  query(
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    limits: QueryLimits = {},
  ): QueryResult {
    const budget = new ScanBudget(limits.maxDocsScanned);
    const maxSeries = limits.maxSeries ?? Number.POSITIVE_INFINITY;
    const ids: string[] = [];
    const from: Segment[] = [];
    const docsOf: number[] = [];
    const blocks = this.blocksIn(startMs, endMs);
    // A series indexed in several blocks is reported once (within a block
    // segments do not share series).
    const seen = blocks.length > 1 ? new Set<string>() : null;
    for (const b of blocks) {
      for (const seg of segmentsOf(b)) {
        const docs = searchSegment(seg, matchers, budget).toUint32Array();
        for (let i = 0; i < docs.length; i++) {
          const id = seg.idOf(docs[i]);
          if (seen !== null) {
            if (seen.has(id)) continue;
            seen.add(id);
          }
          if (ids.length === maxSeries) {
            throw new QueryLimitError(
              "maxSeries",
              maxSeries,
              `more than ${maxSeries} series match`,
            );
          }
          ids.push(id);
          from.push(seg);
          docsOf.push(docs[i]);
        }
      }
    }
    let tags: (readonly Tag[])[] | null = null;
    return {
      ids,
      // Tags are decoded only if asked for.
      get tags() {
        tags ??= ids.map((_, i) => from[i].tagsOf(docsOf[i]));
        return tags;
      },
      docsScanned: budget.scanned,
    };
  }

  /** Label names of the series matching (all series when no matchers), sorted. */
  labelNames(matchers: readonly Matcher[], startMs: number, endMs: number): string[] {
    const names = new Set<string>();
    for (const seg of this.segmentsIn(startMs, endMs)) {
      if (matchers.length === 0) {
        for (const name of seg.fieldNames()) names.add(name);
        continue;
      }
      for (const doc of searchSegment(seg, matchers, new ScanBudget())) {
        for (const [name] of seg.tagsOf(doc)) names.add(name);
      }
    }
    return [...names].sort();
  }

  /** Values of one label among the series matching (all series when no matchers), sorted. */
  labelValues(
    name: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
  ): string[] {
    const values = new Set<string>();
    for (const seg of this.segmentsIn(startMs, endMs)) {
      const field = seg.field(name);
      if (field === undefined) continue;
      if (matchers.length === 0) {
        for (const term of field.terms()) values.add(term);
        continue;
      }
      for (const doc of searchSegment(seg, matchers, new ScanBudget())) {
        for (const [n, v] of seg.tagsOf(doc)) if (n === name) values.add(v);
      }
    }
    return [...values].sort();
  }

  private blocksIn(startMs: number, endMs: number): IndexBlock[] {
    const out: IndexBlock[] = [];
    for (const [start, b] of this.blocks) {
      if (start < endMs && start + this.blockSizeMs > startMs) out.push(b);
    }
    return out;
  }

  private segmentsIn(startMs: number, endMs: number): Segment[] {
    return this.blocksIn(startMs, endMs).flatMap(segmentsOf);
  }
}

function segmentsOf(b: IndexBlock): Segment[] {
  return b.mutable === null ? b.sealed : [...b.sealed, b.mutable];
}

function inAny(segments: readonly Segment[], id: string): boolean {
  for (const s of segments) if (s.docOf(id) !== undefined) return true;
  return false;
}

function isSealed(s: Segment): boolean {
  return !(s instanceof MutableSegment);
}
