// A namespace's reverse index, partitioned in time by the index block size:
// a series is inserted into the block of every time it is written in, so a
// query over [start, end) finds only series written in that range.
import type { Tag } from "../x/index.js";
import type { Matcher } from "./matcher.js";
import { QueryLimitError, ScanBudget, searchSegment } from "./search.js";
import { Segment } from "./segment.js";

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

export class TimeIndex {
  readonly blockSizeMs: number;
  private readonly blocks = new Map<number, Segment>();

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
    this.segmentFor(timeMs).insert(id, tags);
  }

  /**
   * Indexes a series, given its encoded tags, for the block holding
   * `timeMs`; the tags are decoded only when the series is new there.
   */
  insertEncoded(id: string, encodedTags: Uint8Array, timeMs: number): void {
    this.segmentFor(timeMs).insertEncoded(id, encodedTags);
  }

  private segmentFor(timeMs: number): Segment {
    const start = this.blockStart(timeMs);
    let seg = this.blocks.get(start);
    if (seg === undefined) {
      seg = new Segment();
      this.blocks.set(start, seg);
    }
    return seg;
  }

  /** True when the series is indexed in the block holding `timeMs`. */
  has(id: string, timeMs: number): boolean {
    return this.blocks.get(this.blockStart(timeMs))?.docOf(id) !== undefined;
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
    const segs = this.segmentsIn(startMs, endMs);
    // A series indexed in several blocks is reported once.
    const seen = segs.length > 1 ? new Set<string>() : null;
    for (const seg of segs) {
      const docs = searchSegment(seg, matchers, budget).toUint32Array();
      for (let i = 0; i < docs.length; i++) {
        const id = seg.ids[docs[i]];
        if (seen !== null) {
          if (seen.has(id)) continue;
          seen.add(id);
        }
        if (ids.length === maxSeries) {
          throw new QueryLimitError("maxSeries", maxSeries, `more than ${maxSeries} series match`);
        }
        ids.push(id);
        from.push(seg);
        docsOf.push(docs[i]);
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
        for (const term of field.postings.keys()) values.add(term);
        continue;
      }
      for (const doc of searchSegment(seg, matchers, new ScanBudget())) {
        for (const [n, v] of seg.tagsOf(doc)) if (n === name) values.add(v);
      }
    }
    return [...values].sort();
  }

  private segmentsIn(startMs: number, endMs: number): Segment[] {
    const out: Segment[] = [];
    for (const [start, seg] of this.blocks) {
      if (start < endMs && start + this.blockSizeMs > startMs) out.push(seg);
    }
    return out;
  }
}
