// The metadata entries of a decoded remote write request, handed to the metadata store:
// strings are built once per distinct entry of a request, not once per series (a 2.0
// sender repeats its metadata on every series, and every series of a family points at
// the same symbols, so the same byte offsets).
import {
  type MetricMetadataStore,
  type MetricType,
  metricTypeOfEnum,
} from "../../query/metadata/index.js";
import type { WriteRequestColumns } from "./write-request.js";

/**
 * The suffixes of the series of one family of each type, as the text formats name them
 * (a histogram `foo` has `foo_bucket`, `foo_sum`, `foo_count`). 2.0 carries metadata per
 * series, named by the series' __name__; Prometheus's /api/v1/metadata names families,
 * so the suffix is taken off. Counters are left as named: whether `foo_total`'s family is
 * `foo` (OpenMetrics) or `foo_total` (the text format) the series cannot tell.
 */
const SUFFIXES: Partial<Record<MetricType, readonly string[]>> = {
  histogram: ["_bucket", "_sum", "_count", "_created"],
  gaugehistogram: ["_bucket", "_gsum", "_gcount"],
  summary: ["_sum", "_count", "_created"],
};

/** The family a 2.0 series named `name` with metadata of type `type` belongs to. */
export function familyOfSeries(name: string, type: MetricType): string {
  const suffixes = SUFFIXES[type];
  if (suffixes === undefined) return name;
  for (const s of suffixes) {
    if (name.length > s.length && name.endsWith(s)) return name.slice(0, name.length - s.length);
  }
  return name;
}

export class MetadataFeed {
  private readonly store: MetricMetadataStore;
  private readonly utf8 = new TextDecoder();
  /** Per request: family byte offset → the last entry recorded with it. */
  private readonly seen = new Map<number, number>();

  constructor(store: MetricMetadataStore) {
    this.store = store;
  }

  /** Records the metadata entries of the request `cols` was decoded from; returns how many distinct ones. */
  record(body: Uint8Array, cols: WriteRequestColumns, version: "1.0" | "2.0"): number {
    const seen = this.seen;
    seen.clear();
    let recorded = 0;
    for (let m = 0; m < cols.metaEntries; m++) {
      const at = cols.metaFamilyAt[m];
      const prev = seen.get(at);
      if (prev !== undefined && sameEntry(cols, prev, m)) continue;
      seen.set(at, m);
      const type = metricTypeOfEnum(cols.metaType[m]);
      const name = this.text(body, at, cols.metaFamilyLen[m]);
      this.store.observe(
        version === "2.0" ? familyOfSeries(name, type) : name,
        type,
        this.text(body, cols.metaHelpAt[m], cols.metaHelpLen[m]),
        this.text(body, cols.metaUnitAt[m], cols.metaUnitLen[m]),
      );
      recorded++;
    }
    seen.clear();
    return recorded;
  }

  private text(body: Uint8Array, at: number, len: number): string {
    return len === 0 ? "" : this.utf8.decode(body.subarray(at, at + len));
  }
}

function sameEntry(c: WriteRequestColumns, a: number, b: number): boolean {
  return (
    c.metaFamilyLen[a] === c.metaFamilyLen[b] &&
    c.metaType[a] === c.metaType[b] &&
    c.metaHelpAt[a] === c.metaHelpAt[b] &&
    c.metaHelpLen[a] === c.metaHelpLen[b] &&
    c.metaUnitAt[a] === c.metaUnitAt[b] &&
    c.metaUnitLen[a] === c.metaUnitLen[b]
  );
}
