// The metric metadata remote write carries (type, help and unit per metric family), kept in
// memory for /api/v1/metadata. Both bounds are explicit: at most `maxMetrics` families, the
// one seen least recently dropped first, and per family the `maxEntriesPerMetric` distinct
// entries seen most recently (Prometheus lists every distinct entry its targets expose; a
// sender that changes a help text on every scrape must not grow a list without end).

/** Prometheus's metric types, lowercase as its API shows them; index = the remote write enum value. */
export const METRIC_TYPES = [
  "unknown",
  "counter",
  "gauge",
  "histogram",
  "gaugehistogram",
  "summary",
  "info",
  "stateset",
] as const;

export type MetricType = (typeof METRIC_TYPES)[number];

/**
 * The type of a remote write enum value. Both versions number the types alike (1.0's
 * UNKNOWN and 2.0's UNSPECIFIED are 0); a value no version defines reads as "unknown".
 */
export function metricTypeOfEnum(value: number): MetricType {
  return METRIC_TYPES[value] ?? "unknown";
}

/** One distinct metadata entry of a metric family. */
export interface MetricMetadata {
  readonly type: MetricType;
  readonly help: string;
  readonly unit: string;
}

export const DEFAULT_MAX_METADATA_METRICS = 100_000;
export const DEFAULT_MAX_METADATA_PER_METRIC = 10;

export interface MetadataStoreLimits {
  /** Metric families kept (default DEFAULT_MAX_METADATA_METRICS); past it the least recently seen goes. */
  maxMetrics?: number;
  /** Distinct entries kept per family (default DEFAULT_MAX_METADATA_PER_METRIC), most recent first. */
  maxEntriesPerMetric?: number;
}

/** A bound that is not a positive integer: names the option, the value and what is allowed. */
export class MetadataLimitError extends RangeError {
  readonly code = "M3TS_ERR_METADATA_LIMIT";

  constructor(option: string, value: unknown) {
    super(`metadata store option ${option} is ${String(value)}; it must be an integer ≥ 1`);
    this.name = "MetadataLimitError";
  }
}

export class MetricMetadataStore {
  readonly maxMetrics: number;
  readonly maxEntriesPerMetric: number;
  /**
   * Family name → its entries, most recent first. The map's insertion order is the order
   * families were last seen in (a family seen again is moved to the end), so the first key
   * is always the one to drop.
   */
  private readonly families = new Map<string, MetricMetadata[]>();
  /** The family names sorted, built on demand and dropped when the set of names changes. */
  private sorted: string[] | null = null;
  private evicted = 0;
  private changeCount = 0;

  constructor(limits: MetadataStoreLimits = {}) {
    this.maxMetrics = positive("maxMetrics", limits.maxMetrics, DEFAULT_MAX_METADATA_METRICS);
    this.maxEntriesPerMetric = positive(
      "maxEntriesPerMetric",
      limits.maxEntriesPerMetric,
      DEFAULT_MAX_METADATA_PER_METRIC,
    );
  }

  /** Families held now. */
  get size(): number {
    return this.families.size;
  }

  /** Families dropped to keep within maxMetrics since the store was made. */
  get evictedMetrics(): number {
    return this.evicted;
  }

  /** Grows on every change of what the store holds (what a save compares against). */
  get changes(): number {
    return this.changeCount;
  }

  /** Records that `family` was sent with this type, help and unit. An empty family name is ignored. */
  observe(family: string, type: MetricType, help: string, unit: string): void {
    if (family === "") return;
    const list = this.families.get(family);
    if (list === undefined) {
      this.families.set(family, [{ type, help, unit }]);
      this.sorted = null;
      this.changeCount++;
      this.evictOverflow();
      return;
    }
    // Seen again: it becomes the most recent family, whatever its entries do.
    this.families.delete(family);
    this.families.set(family, list);
    const first = list[0];
    if (first.type === type && first.help === help && first.unit === unit) return;
    let i = 1;
    while (i < list.length) {
      const e = list[i];
      if (e.type === type && e.help === help && e.unit === unit) break;
      i++;
    }
    const entry = i < list.length ? list[i] : { type, help, unit };
    // Shift the entries before it down by one and put it first.
    const end = Math.min(i, this.maxEntriesPerMetric - 1);
    if (i === list.length && list.length < this.maxEntriesPerMetric) list.push(entry);
    for (let k = end; k > 0; k--) list[k] = list[k - 1];
    list[0] = entry;
    this.changeCount++;
  }

  /** The entries of one family, most recent first; empty when the family is unknown. */
  get(family: string): readonly MetricMetadata[] {
    return this.families.get(family) ?? [];
  }

  /** Every family name, sorted by UTF-16 code units (the order the endpoint lists them in). */
  names(): readonly string[] {
    this.sorted ??= [...this.families.keys()].sort();
    return this.sorted;
  }

  /** Every family with its entries, the least recently seen first: the order a save keeps. */
  *byRecency(): IterableIterator<[string, readonly MetricMetadata[]]> {
    yield* this.families;
  }

  private evictOverflow(): void {
    while (this.families.size > this.maxMetrics) {
      const oldest = this.families.keys().next().value as string;
      this.families.delete(oldest);
      this.evicted++;
    }
  }
}

function positive(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new MetadataLimitError(option, value);
  return value;
}
