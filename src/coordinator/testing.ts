// Remote write request encoders for tests and benchmarks: the 1.0
// WriteRequest and the 2.0 Request (symbol table), written as plain protobuf
// (callers snappy-compress). Encoding is done twice, sizes then bytes, into
// one buffer, so a benchmark can pre-encode 100 000 series quickly.

export interface TestSeries {
  labels: [string, string][];
  timesMs: ArrayLike<number>;
  values: ArrayLike<number>;
}

export interface EncodeOptions {
  version?: "1.0" | "2.0";
  /** Exemplars per series (1.0 and 2.0), to exercise what is accepted and dropped. */
  exemplarsPerSeries?: number;
  /** Native histograms per series (empty messages), likewise. */
  histogramsPerSeries?: number;
  /** Adds metadata (1.0: one MetricMetadata per request; 2.0: type per series). */
  metadata?: boolean;
}

const utf8 = new TextEncoder();

class Writer {
  buf = new Uint8Array(1 << 16);
  view = new DataView(this.buf.buffer);
  pos = 0;

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
    this.view = new DataView(b.buffer);
  }

  varint(v: number): void {
    this.ensure(10);
    if (v < 0) {
      // int64 two's complement: ten bytes.
      let lo = (v % 0x100000000) >>> 0;
      let hi = Math.floor(v / 0x100000000) >>> 0;
      for (let i = 0; i < 9; i++) {
        this.buf[this.pos++] = (lo & 0x7f) | 0x80;
        lo = ((lo >>> 7) | (hi << 25)) >>> 0;
        hi >>>= 7;
      }
      this.buf[this.pos++] = lo & 0x01;
      return;
    }
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  key(field: number, type: number): void {
    this.varint(field * 8 + type);
  }

  bytes(field: number, b: Uint8Array): void {
    this.key(field, 2);
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  double(field: number, v: number): void {
    this.key(field, 1);
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** Starts a length-delimited field whose length is patched by `end` (5-byte padded varint). */
  begin(field: number): number {
    this.key(field, 2);
    this.ensure(5);
    const at = this.pos;
    this.pos += 5;
    return at;
  }

  end(at: number): void {
    let len = this.pos - at - 5;
    for (let i = 0; i < 4; i++) {
      this.buf[at + i] = (len & 0x7f) | 0x80;
      len >>>= 7;
    }
    this.buf[at + 4] = len;
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

function samples(w: Writer, field: number, s: TestSeries): void {
  for (let i = 0; i < s.timesMs.length; i++) {
    const at = w.begin(field);
    w.double(1, s.values[i]);
    w.key(2, 0);
    w.varint(s.timesMs[i]);
    w.end(at);
  }
}

/** The protobuf bytes of a remote write request holding `series`, labels in the order given. */
export function encodeWriteRequest(
  series: readonly TestSeries[],
  options: EncodeOptions = {},
): Uint8Array {
  return options.version === "2.0" ? encodeV2(series, options) : encodeV1(series, options);
}

function encodeV1(series: readonly TestSeries[], options: EncodeOptions): Uint8Array {
  const w = new Writer();
  for (const s of series) {
    const ts = w.begin(1);
    for (const [name, value] of s.labels) {
      const l = w.begin(1);
      w.bytes(1, utf8.encode(name));
      w.bytes(2, utf8.encode(value));
      w.end(l);
    }
    samples(w, 2, s);
    for (let e = 0; e < (options.exemplarsPerSeries ?? 0); e++) {
      const ex = w.begin(3);
      w.double(2, 1);
      w.end(ex);
    }
    for (let h = 0; h < (options.histogramsPerSeries ?? 0); h++) w.end(w.begin(4));
    w.end(ts);
  }
  if (options.metadata === true) {
    const md = w.begin(3);
    w.key(1, 0);
    w.varint(1);
    w.bytes(2, utf8.encode("some_metric"));
    w.end(md);
  }
  return w.result();
}

function encodeV2(series: readonly TestSeries[], options: EncodeOptions): Uint8Array {
  const index = new Map<string, number>([["", 0]]);
  const table: string[] = [""];
  const ref = (s: string) => {
    let r = index.get(s);
    if (r === undefined) {
      r = table.length;
      index.set(s, r);
      table.push(s);
    }
    return r;
  };
  const refs = series.map((s) => s.labels.flatMap(([n, v]) => [ref(n), ref(v)]));
  const w = new Writer();
  for (const s of table) w.bytes(4, utf8.encode(s));
  series.forEach((s, k) => {
    const ts = w.begin(5);
    const packed = w.begin(1);
    for (const r of refs[k]) w.varint(r);
    w.end(packed);
    samples(w, 2, s);
    for (let h = 0; h < (options.histogramsPerSeries ?? 0); h++) w.end(w.begin(3));
    for (let e = 0; e < (options.exemplarsPerSeries ?? 0); e++) {
      const ex = w.begin(4);
      w.double(2, 1);
      w.end(ex);
    }
    if (options.metadata === true) {
      const md = w.begin(5);
      w.key(1, 0);
      w.varint(2);
      w.end(md);
    }
    w.end(ts);
  });
  return w.result();
}
