// Prometheus remote read's SAMPLES answer, ReadResponse (prompb/remote.proto):
//   ReadResponse 1 results: QueryResult 1 timeseries: TimeSeries
//   TimeSeries   1 labels: Label {1 name, 2 value}, 2 samples: Sample {1 value (double), 2 timestamp (int64)}
// Sizes are computed first, so each message's length precedes it and the
// bytes are written once into one growing buffer.
import { delimitedSize, int64Size, ProtoWriter, utf8Size } from "./proto-writer.js";

export class ReadResponseWriter {
  private readonly w = new ProtoWriter();
  /** Series of the current result, held until its size is known. */
  private series: {
    labels: readonly (readonly [string, string])[];
    timesMs: Float64Array;
    values: Float64Array;
    count: number;
  }[] = [];
  private open = false;

  beginResult(): void {
    this.series = [];
    this.open = true;
  }

  addSeries(
    labels: readonly (readonly [string, string])[],
    timesMs: Float64Array,
    values: Float64Array,
    count: number,
  ): void {
    this.series.push({ labels, timesMs, values, count });
  }

  endResult(): void {
    const w = this.w;
    const sizes = this.series.map((s) => seriesSize(s.labels, s.timesMs, s.count));
    let resultSize = 0;
    for (const sz of sizes) resultSize += delimitedSize(sz.total);
    w.key(1, 2);
    w.varint(resultSize);
    this.series.forEach((s, k) => {
      const sz = sizes[k];
      w.key(1, 2);
      w.varint(sz.total);
      s.labels.forEach(([name, value], i) => {
        w.key(1, 2);
        w.varint(sz.labels[i]);
        w.stringField(1, name, sz.names[i]);
        w.stringField(2, value, sz.values[i]);
      });
      for (let i = 0; i < s.count; i++) {
        const t = s.timesMs[i];
        w.key(2, 2);
        w.varint(10 + int64Size(t));
        w.double(1, s.values[i]);
        w.key(2, 0);
        w.int64(t);
      }
    });
    this.series = [];
    this.open = false;
  }

  /** The ReadResponse's bytes (uncompressed); the writer starts empty again. */
  finish(): Uint8Array {
    if (this.open) this.endResult();
    const out = this.w.result();
    this.w.reset();
    return out;
  }
}

function seriesSize(
  labels: readonly (readonly [string, string])[],
  timesMs: Float64Array,
  count: number,
) {
  const names: number[] = [];
  const values: number[] = [];
  const sizes: number[] = [];
  let total = 0;
  for (const [name, value] of labels) {
    const n = utf8Size(name);
    const v = utf8Size(value);
    const l = delimitedSize(n) + delimitedSize(v);
    names.push(n);
    values.push(v);
    sizes.push(l);
    total += delimitedSize(l);
  }
  for (let i = 0; i < count; i++) total += delimitedSize(10 + int64Size(timesMs[i]));
  return { total, labels: sizes, names, values };
}
