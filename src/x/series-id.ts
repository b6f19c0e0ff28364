// The quoted series ID (M3's src/query/models/tags_id_schemes.go and
// strconv/): `{` name=value pairs joined by `,` `}`, computed from the
// tags' binary encoding without building strings. A name or value with no
// byte below 0x20, no `"`, no 0x7F and no byte >= 0x80 is copied as is (a
// value inside double quotes), backslashes included. Otherwise a name is
// written escaped and a value quoted and escaped, as M3's strconv.Escape
// does: see writeEscaped.
import { checkEncodedTags, encodedTagsLength, encodeTagsInto } from "./tag-encoding.js";
import type { Tag } from "./tag-set.js";

const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The canonical series ID of `tags` as UTF-8 bytes, in the order given: pass normalizeTags output. */
export function seriesIdOf(tags: readonly Tag[]): Uint8Array {
  const need = encodedTagsLength(tags);
  if (need > scratch.length) scratch = new Uint8Array(Math.max(need, scratch.length * 2));
  encodeTagsInto(tags, scratch, 0);
  const id = seriesIdFromEncoded(scratch, tags.length);
  if (scratch.length > MAX_SCRATCH_BYTES) scratch = new Uint8Array(1024);
  return id;
}

/** The canonical series ID of `tags` as a string (the bytes of seriesIdOf, which are always valid UTF-8). */
export function seriesIdString(tags: readonly Tag[]): string {
  return utf8Decoder.decode(seriesIdOf(tags));
}

/**
 * The series ID of tags in M3's encoding, computed from the bytes without
 * building strings. Bytes that are not valid UTF-8 are written as \xNN.
 */
export function seriesIdOfEncodedTags(encoded: Uint8Array): Uint8Array {
  return seriesIdFromEncoded(encoded, checkEncodedTags(encoded));
}

/** Scratch for seriesIdOf's encoding; replaced by a small one after an unusually large ID. */
let scratch = new Uint8Array(1024);
const MAX_SCRATCH_BYTES = 1 << 20;

const BRACE_OPEN = 0x7b;
const BRACE_CLOSE = 0x7d;
const EQUALS = 0x3d;
const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The ID of `count` tags encoded in `src` (structure already checked). */
function seriesIdFromEncoded(src: Uint8Array, count: number): Uint8Array {
  // Pass 1: the exact length. Pass 2: write.
  let length = 2 + (count > 0 ? 2 * count - 1 : 0); // braces, `=`s and `,`s
  let pos = 4;
  for (let i = 0; i < count; i++) {
    for (let field = 0; field < 2; field++) {
      const start = pos + 2;
      const end = start + (src[pos] | (src[pos + 1] << 8));
      if (needsEscaping(src, start, end)) length += escapedLength(src, start, end);
      else length += end - start;
      if (field === 1) length += 2; // the value's quotes
      pos = end;
    }
  }

  const id = new Uint8Array(length);
  let out = 0;
  id[out++] = BRACE_OPEN;
  pos = 4;
  for (let i = 0; i < count; i++) {
    if (i > 0) id[out++] = COMMA;
    for (let field = 0; field < 2; field++) {
      const start = pos + 2;
      const end = start + (src[pos] | (src[pos + 1] << 8));
      if (field === 1) {
        id[out++] = EQUALS;
        id[out++] = QUOTE;
      }
      if (needsEscaping(src, start, end)) out = writeEscaped(src, start, end, id, out);
      else {
        id.set(src.subarray(start, end), out);
        out += end - start;
      }
      if (field === 1) id[out++] = QUOTE;
      pos = end;
    }
  }
  id[out++] = BRACE_CLOSE;
  if (out !== length) throw new Error(`series ID length ${out} != computed ${length}`);
  return id;
}

/** M3's trigger (strconv/checker.go): a control byte, `"`, DEL or any non-ASCII byte. */
function needsEscaping(src: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = src[i];
    if (b < 0x20 || b === QUOTE || b >= 0x7f) return true;
  }
  return false;
}

// Rune decoding in Go's utf8.DecodeRune rules: any invalid, overlong,
// surrogate or out-of-range sequence is one error byte. Results go to these
// two module slots so the loop allocates nothing.
let runeValue = 0;
let runeWidth = 0;
const INVALID = -1;

function decodeRune(src: Uint8Array, i: number, end: number): void {
  const b0 = src[i];
  runeWidth = 1;
  runeValue = b0;
  if (b0 < 0x80) return;
  runeValue = INVALID;
  // Lead byte: width and the allowed range of the second byte.
  let width: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) width = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    width = 3;
    if (b0 === 0xe0) lo = 0xa0; // no overlong forms
    if (b0 === 0xed) hi = 0x9f; // no surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    width = 4;
    if (b0 === 0xf0) lo = 0x90; // no overlong forms
    if (b0 === 0xf4) hi = 0x8f; // nothing above U+10FFFF
  } else return;
  if (i + width > end) return;
  const b1 = src[i + 1];
  if (b1 < lo || b1 > hi) return;
  let cp = (b0 & (0xff >> (width + 1))) << 6;
  cp |= b1 & 0x3f;
  for (let k = 2; k < width; k++) {
    const b = src[i + k];
    if (b < 0x80 || b > 0xbf) return;
    cp = (cp << 6) | (b & 0x3f);
  }
  runeValue = cp;
  runeWidth = width;
}

/** Escape sequences for \a \b \t \n \v \f \r (bytes 7..13), as the letter after the backslash. */
const SHORT_ESCAPES = "abtnvfr";
const HEX = "0123456789abcdef";

/** Length of M3's escaping of src[start, end). */
function escapedLength(src: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i += runeWidth) {
    decodeRune(src, i, end);
    const r = runeValue;
    if (r === INVALID) n += 4;
    else if (r === QUOTE || r === BACKSLASH) n += 2;
    else if (isPrint(r)) n += runeWidth;
    else if (r >= 7 && r <= 13) n += 2;
    else if (r < 0x20) n += 4;
    else if (r < 0x10000) n += 6;
    else n += 10;
  }
  return n;
}

/**
 * Writes M3's escaping of src[start, end) (strconv/quote.go Escape) at
 * dst[out] and returns the new end. Like Go's strconv, except that M3 writes
 * DEL as \u007f, not \x7f: only runes below 0x20 get \xNN.
 */
function writeEscaped(src: Uint8Array, start: number, end: number, dst: Uint8Array, out: number) {
  for (let i = start; i < end; i += runeWidth) {
    decodeRune(src, i, end);
    const r = runeValue;
    if (r === INVALID)
      out = writeHex(dst, out, 0x78, src[i], 2); // \xNN
    else if (r === QUOTE || r === BACKSLASH) {
      dst[out++] = BACKSLASH;
      dst[out++] = r;
    } else if (isPrint(r)) {
      for (let k = 0; k < runeWidth; k++) dst[out++] = src[i + k];
    } else if (r >= 7 && r <= 13) {
      dst[out++] = BACKSLASH;
      dst[out++] = SHORT_ESCAPES.charCodeAt(r - 7);
    } else if (r < 0x20)
      out = writeHex(dst, out, 0x78, r, 2); // \xNN
    else if (r < 0x10000)
      out = writeHex(dst, out, 0x75, r, 4); // \uNNNN
    else out = writeHex(dst, out, 0x55, r, 8); // \UNNNNNNNN
  }
  return out;
}

/** Writes a backslash, the letter, and `digits` lowercase hex digits of `value`. */
function writeHex(dst: Uint8Array, out: number, letter: number, value: number, digits: number) {
  dst[out++] = BACKSLASH;
  dst[out++] = letter;
  for (let shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
    dst[out++] = HEX.charCodeAt((value >>> shift) & 0xf);
  }
  return out;
}

// Go's strconv.IsPrint: letters, marks, numbers, punctuation and symbols
// (categories L, M, N, P, S) and the ASCII space. Below U+0100 it is a fixed
// rule; above, the same categories come from the JS engine's Unicode tables,
// cached per 256-code-point page (at most 4352 pages of 32 bytes). Only code
// points assigned in a Unicode version newer than M3's Go build (Go 1.21+:
// Unicode 15.0) can differ: Go calls them unassigned and escapes them.
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const printPages: (Uint8Array | undefined)[] = new Array(0x1100);

function isPrint(cp: number): boolean {
  if (cp < 0x100) return (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa1 && cp !== 0xad);
  const pageIndex = cp >>> 8;
  let page = printPages[pageIndex];
  if (page === undefined) {
    page = new Uint8Array(32);
    const base = pageIndex << 8;
    for (let k = 0; k < 256; k++) {
      if (PRINTABLE.test(String.fromCodePoint(base + k))) page[k >>> 3] |= 1 << (k & 7);
    }
    printPages[pageIndex] = page;
  }
  return (page[(cp & 0xff) >>> 3] & (1 << (cp & 7))) !== 0;
}
