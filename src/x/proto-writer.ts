// A protobuf wire-format writer appending into one growable buffer, with the
// size helpers that let a message's length be written before its body, so
// nothing is encoded twice.

const utf8 = new TextEncoder();

/** Bytes of a varint holding the non-negative integer v (< 2^53). */
export function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/** Bytes of an int64 field's varint: negative values always take ten. */
export function int64Size(v: number): number {
  return v < 0 ? 10 : varintSize(v);
}

/** Bytes of a length-delimited field (key of one byte) holding `len` bytes. */
export function delimitedSize(len: number): number {
  return 1 + varintSize(len) + len;
}

export function utf8Size(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (
      c >= 0xd800 &&
      c <= 0xdbff &&
      i + 1 < s.length &&
      (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    ) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

export class ProtoWriter {
  buf: Uint8Array;
  view: DataView;
  pos = 0;

  constructor(capacity = 1 << 16) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  reset(): void {
    this.pos = 0;
  }

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
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  /** A signed 64-bit integer (two's complement for negatives, ten bytes). */
  int64(v: number): void {
    if (v >= 0) {
      this.varint(v);
      return;
    }
    this.ensure(10);
    let lo = (v % 0x100000000) >>> 0;
    let hi = Math.floor(v / 0x100000000) >>> 0;
    for (let i = 0; i < 9; i++) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.buf[this.pos++] = lo & 0x01;
  }

  key(field: number, type: number): void {
    this.varint(field * 8 + type);
  }

  double(field: number, v: number): void {
    this.key(field, 1);
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  bytesField(field: number, b: Uint8Array): void {
    this.key(field, 2);
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** A string field whose UTF-8 size the caller computed (utf8Size). */
  stringField(field: number, s: string, size: number): void {
    this.key(field, 2);
    this.varint(size);
    this.ensure(size);
    const { written } = utf8.encodeInto(s, this.buf.subarray(this.pos, this.pos + size));
    this.pos += written ?? size;
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
