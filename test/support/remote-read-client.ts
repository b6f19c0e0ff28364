// A Prometheus remote read client for tests: encodes a ReadRequest, posts it
// snappy-compressed, and decodes the SAMPLES answer (prompb/remote.proto,
// prompb/types.proto), independently of the server's own encoder.
import { compressSync, uncompressSync } from "snappy";

export interface ReadMatcher {
  type: "=" | "!=" | "=~" | "!~";
  name: string;
  value: string;
}

export interface ReadSeries {
  labels: Record<string, string>;
  timesMs: number[];
  values: number[];
  /** The bits of each value: plain arrays may quiet a NaN, and stale markers are NaNs told apart by their bits. */
  valueBits: bigint[];
}

const MATCH_TYPE = { "=": 0, "!=": 1, "=~": 2, "!~": 3 } as const;

class Out {
  bytes: number[] = [];
  varint(v: number): void {
    while (v >= 0x80) {
      this.bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.bytes.push(v);
  }
  key(field: number, type: number): void {
    this.varint(field * 8 + type);
  }
  bytesField(field: number, b: Uint8Array | number[]): void {
    this.key(field, 2);
    this.varint(b.length);
    for (const x of b) this.bytes.push(x);
  }
  int64(field: number, v: number): void {
    this.key(field, 0);
    if (v >= 0) this.varint(v);
    else {
      // Two's complement over 64 bits, for negative times.
      const big = BigInt.asUintN(64, BigInt(v));
      let x = big;
      while (x >= 0x80n) {
        this.bytes.push(Number(x & 0x7fn) | 0x80);
        x >>= 7n;
      }
      this.bytes.push(Number(x));
    }
  }
}

const utf8 = new TextEncoder();

/** The bytes of a ReadRequest (uncompressed). */
export function encodeReadRequest(
  queries: { startMs: number; endMs: number; matchers: ReadMatcher[] }[],
  acceptedResponseTypes: number[] = [],
): Uint8Array {
  const req = new Out();
  for (const q of queries) {
    const query = new Out();
    query.int64(1, q.startMs);
    query.int64(2, q.endMs);
    for (const m of q.matchers) {
      const mm = new Out();
      mm.key(1, 0);
      mm.varint(MATCH_TYPE[m.type]);
      mm.bytesField(2, utf8.encode(m.name));
      mm.bytesField(3, utf8.encode(m.value));
      query.bytesField(3, mm.bytes);
    }
    req.bytesField(1, query.bytes);
  }
  for (const t of acceptedResponseTypes) {
    req.key(2, 0);
    req.varint(t);
  }
  return Uint8Array.from(req.bytes);
}

class In {
  pos = 0;
  readonly b: Uint8Array;
  readonly view: DataView;
  constructor(b: Uint8Array) {
    this.b = b;
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  varint(): number {
    let v = 0;
    let mul = 1;
    for (;;) {
      const x = this.b[this.pos++];
      if (x === undefined) throw new Error("truncated varint");
      v += (x & 0x7f) * mul;
      if (x < 0x80) return v;
      mul *= 128;
    }
  }
  int64(): number {
    const start = this.pos;
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const x = this.b[this.pos++];
      if (x === undefined) throw new Error(`truncated int64 at ${start}`);
      v |= BigInt(x & 0x7f) << shift;
      if (x < 0x80) break;
      shift += 7n;
    }
    return Number(BigInt.asIntN(64, v));
  }
  sub(): In {
    const n = this.varint();
    const s = new In(this.b.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
  skip(type: number): void {
    if (type === 0) this.varint();
    else if (type === 1) this.pos += 8;
    else if (type === 2) this.pos += this.varint();
    else if (type === 5) this.pos += 4;
    else throw new Error(`wire type ${type}`);
  }
  get done(): boolean {
    return this.pos >= this.b.length;
  }
}

const text = new TextDecoder();

/** Decodes a ReadResponse (uncompressed): per query, its series. */
export function decodeReadResponse(bytes: Uint8Array): ReadSeries[][] {
  const results: ReadSeries[][] = [];
  const r = new In(bytes);
  while (!r.done) {
    const key = r.varint();
    if (key >>> 3 !== 1) {
      r.skip(key & 7);
      continue;
    }
    const qr = r.sub();
    const series: ReadSeries[] = [];
    while (!qr.done) {
      const k = qr.varint();
      if (k >>> 3 !== 1) {
        qr.skip(k & 7);
        continue;
      }
      const ts = qr.sub();
      const s: ReadSeries = { labels: {}, timesMs: [], values: [], valueBits: [] };
      while (!ts.done) {
        const kk = ts.varint();
        if (kk >>> 3 === 1) {
          const l = ts.sub();
          let name = "";
          let value = "";
          while (!l.done) {
            const lk = l.varint();
            const sub = l.sub();
            if (lk >>> 3 === 1) name = text.decode(sub.b);
            else value = text.decode(sub.b);
          }
          s.labels[name] = value;
        } else if (kk >>> 3 === 2) {
          const smp = ts.sub();
          let t = 0;
          let v = 0;
          let bits = 0n;
          while (!smp.done) {
            const sk = smp.varint();
            if (sk >>> 3 === 1) {
              v = smp.view.getFloat64(smp.pos, true);
              bits = smp.view.getBigUint64(smp.pos, true);
              smp.pos += 8;
            } else if (sk >>> 3 === 2) t = smp.int64();
            else smp.skip(sk & 7);
          }
          s.timesMs.push(t);
          s.values.push(v);
          s.valueBits.push(bits);
        } else ts.skip(kk & 7);
      }
      series.push(s);
    }
    results.push(series);
  }
  return results;
}

/** Posts a SAMPLES remote read to `url` and returns the series of each query. */
export async function remoteRead(
  url: string,
  queries: { startMs: number; endMs: number; matchers: ReadMatcher[] }[],
  headers: Record<string, string> = {},
): Promise<ReadSeries[][]> {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-protobuf",
      "Content-Encoding": "snappy",
      "X-Prometheus-Remote-Read-Version": "0.1.0",
      ...headers,
    },
    body: compressSync(encodeReadRequest(queries)),
  });
  const body = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200)
    throw new Error(`remote read: ${res.status} ${Buffer.from(body).toString()}`);
  return decodeReadResponse(uncompressSync(body) as Buffer);
}

/** Posts a STREAMED_XOR_CHUNKS remote read and returns the chunks of each series, in order. */
export async function streamedRead(
  url: string,
  query: { startMs: number; endMs: number; matchers: ReadMatcher[] },
): Promise<{ labels: [string, string][]; chunks: Uint8Array[] }[]> {
  const { readChunkedFrames } = await import("../../src/coordinator/index.js");
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-protobuf",
      "Content-Encoding": "snappy",
      "X-Prometheus-Remote-Read-Version": "0.1.0",
    },
    body: compressSync(encodeReadRequest([query], [1])),
  });
  const body = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200)
    throw new Error(`streamed read: ${res.status} ${Buffer.from(body).toString()}`);
  const out: { labels: [string, string][]; chunks: Uint8Array[] }[] = [];
  for (const frame of readChunkedFrames(body)) {
    for (const s of frame.series) {
      const last = out[out.length - 1];
      // A long series continues in the next frame with the same labels.
      if (last !== undefined && JSON.stringify(last.labels) === JSON.stringify(s.labels)) {
        last.chunks.push(...s.chunks.map((c) => c.data));
      } else out.push({ labels: s.labels, chunks: s.chunks.map((c) => c.data) });
    }
  }
  return out;
}
