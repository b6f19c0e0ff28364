// Series identity: tag sets, their canonical order, M3's "quoted" series ID,
// M3's binary tag encoding, and the shard a series ID maps to.
// Formats follow M3-NOTES §3 (shard hash), §4.1 (normalisation), §4.2 (quoted
// IDs, src/query/models/tags_id_schemes.go and strconv/) and §4.3
// (src/x/serialize encoder and decoder).
import { M3tsError } from "./errors.js";
import { murmur3_32 } from "./murmur3.js";

/** One tag: (name, value). */
export type Tag = readonly [name: string, value: string];

/** What was wrong with a tag set or its encoding. */
export type InvalidTagsReason =
  | "no-tags"
  | "too-many-tags"
  | "empty-name"
  | "empty-value"
  | "duplicate-name"
  | "too-long"
  | "not-unicode"
  | "bad-magic"
  | "truncated"
  | "trailing-bytes";

/** A tag set or a tag encoding that breaks a rule; `position` and `byteOffset` say where (-1: n/a). */
export class InvalidTagsError extends M3tsError {
  readonly reason: InvalidTagsReason;
  readonly position: number;
  readonly byteOffset: number;

  constructor(reason: InvalidTagsReason, message: string, position = -1, byteOffset = -1) {
    super("M3TS_ERR_INVALID_TAGS", message);
    this.reason = reason;
    this.position = position;
    this.byteOffset = byteOffset;
  }
}

/** A shard count or hash seed that cannot shard anything. */
export class InvalidShardingError extends M3tsError {
  readonly field: "numShards" | "seed";
  readonly value: number;

  constructor(field: "numShards" | "seed", value: number, allowed: string) {
    super("M3TS_ERR_INVALID_SHARDING", `${field} ${value} is invalid: it must be ${allowed}`);
    this.field = field;
    this.value = value;
  }
}

/** Longest tag name or value, in UTF-8 bytes: the u16 length of M3's tag encoding. */
export const MAX_TAG_LITERAL_BYTES = 65535;
/** Most tags the encoding can hold (u16 count). */
export const MAX_TAGS_ENCODABLE = 65535;
/**
 * Default bound on tags per series. Real exporters stay well under 64; 256
 * leaves room while keeping one series' ID and index entries bounded. Raise
 * it per call (up to MAX_TAGS_ENCODABLE) where a deployment needs more.
 */
export const DEFAULT_MAX_TAGS = 256;
/** First two bytes of M3's tag encoding, little-endian u16 (bytes 0x75 0x27). */
export const TAG_ENCODING_MAGIC = 10101;

// ---- tag sets ---------------------------------------------------------------

/** Options of normalizeTags. */
export interface NormalizeTagsOptions {
  /** Most tags allowed; default DEFAULT_MAX_TAGS, at most MAX_TAGS_ENCODABLE. */
  maxTags?: number;
}

/**
 * Validates a tag set and returns it sorted by name in UTF-8 byte order (a
 * new array; the input is not changed). Rules: at least one tag and at most
 * `maxTags`; names non-empty and unique; values non-empty (Prometheus drops
 * empty-valued labels, and the coordinator must drop them before calling
 * this, as M3 rejects them unless allowTagValueEmpty); each name and value at
 * most 65535 UTF-8 bytes and well-formed Unicode (no lone surrogates, which
 * UTF-8 cannot carry). Label-name syntax is not checked: see
 * isValidPrometheusLabelName.
 */
export function normalizeTags(tags: readonly Tag[], options: NormalizeTagsOptions = {}): Tag[] {
  const maxTags = options.maxTags ?? DEFAULT_MAX_TAGS;
  if (!(Number.isInteger(maxTags) && maxTags >= 1 && maxTags <= MAX_TAGS_ENCODABLE)) {
    throw new RangeError(`maxTags ${maxTags} must be an integer in 1..${MAX_TAGS_ENCODABLE}`);
  }
  if (tags.length === 0) throw new InvalidTagsError("no-tags", "a series needs at least one tag");
  if (tags.length > maxTags) {
    throw new InvalidTagsError("too-many-tags", `too many tags: ${tags.length} > ${maxTags}`);
  }
  for (let i = 0; i < tags.length; i++) {
    const [name, value] = tags[i];
    literalBytes(name, "name", i, name);
    if (value === "") {
      throw new InvalidTagsError(
        "empty-value",
        `tag ${show(name)} at position ${i} has an empty value ` +
          "(Prometheus drops empty-valued labels; drop them before this point)",
        i,
      );
    }
    literalBytes(value, "value", i, name);
  }

  // Sort positions rather than tags, so a duplicate can name both positions.
  const order = Array.from(tags.keys());
  order.sort((a, b) => compareUtf8(tags[a][0], tags[b][0]));
  const sorted: Tag[] = new Array(tags.length);
  for (let i = 0; i < order.length; i++) {
    sorted[i] = tags[order[i]];
    if (i > 0 && sorted[i][0] === sorted[i - 1][0]) {
      const [first, second] = [order[i - 1], order[i]].sort((a, b) => a - b);
      throw new InvalidTagsError(
        "duplicate-name",
        `duplicate tag name ${show(sorted[i][0])} at positions ${first} and ${second}`,
        second,
      );
    }
  }
  return sorted;
}

/**
 * The UTF-8 length of a tag's name (field "name") or value, after checking it
 * is well-formed and fits the format; an empty name is an error, an empty
 * value is left to the caller.
 */
function literalBytes(text: string, field: "name" | "value", position: number, name: string) {
  if (field === "name" && text === "") {
    throw new InvalidTagsError(
      "empty-name",
      `tag name "" at position ${position} is empty`,
      position,
    );
  }
  const bytes = utf8Length(text);
  if (bytes >= 0 && bytes <= MAX_TAG_LITERAL_BYTES) return bytes;
  const what = field === "name" ? `tag name ${show(text)}` : `value of tag ${show(name)}`;
  if (bytes < 0) {
    throw new InvalidTagsError(
      "not-unicode",
      `${what} at position ${position} holds a lone UTF-16 surrogate, which UTF-8 cannot encode`,
      position,
    );
  }
  throw new InvalidTagsError(
    "too-long",
    `${what} at position ${position} is ${bytes} UTF-8 bytes, more than ${MAX_TAG_LITERAL_BYTES}`,
    position,
  );
}

/** A value for an error message: quoted, control characters escaped, cut at 100 characters. */
function show(text: string): string {
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);
}

/** True for names Prometheus accepts as label names: [a-zA-Z_][a-zA-Z0-9_]*. For the coordinator. */
export function isValidPrometheusLabelName(name: string): boolean {
  return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name);
}

/**
 * Compares two strings in the order of their UTF-8 bytes (which is code point
 * order), like Go's bytes.Compare on M3's tag names. Plain `<` compares UTF-16
 * code units and puts U+E000..U+FFFF after astral characters; this does not.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb) return codeUnitRank(ca) - codeUnitRank(cb);
  }
  return a.length - b.length;
}

/** Moves surrogates (astral code points) above U+E000..U+FFFF, keeping order within each range. */
function codeUnitRank(c: number): number {
  if (c < 0xd800) return c;
  return c < 0xe000 ? c + 0x2000 : c - 0x800;
}

/** UTF-8 length of a string, or -1 if it holds a lone surrogate. */
function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c < 0xd800 || c >= 0xe000) n += 3;
    else if (c < 0xdc00 && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d < 0xdc00 || d >= 0xe000) return -1;
      n += 4;
      i++;
    } else return -1;
  }
  return n;
}

// ---- M3's tag encoding (§4.3) -----------------------------------------------
// u16 magic 10101, u16 tag count, then per tag: u16 name length, name bytes,
// u16 value length, value bytes; all little-endian, lengths in bytes.

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Bytes encodeTagsInto will write for `tags`; throws InvalidTagsError if the format cannot hold them. */
export function encodedTagsLength(tags: readonly Tag[]): number {
  if (tags.length > MAX_TAGS_ENCODABLE) {
    throw new InvalidTagsError(
      "too-many-tags",
      `too many tags to encode: ${tags.length} > ${MAX_TAGS_ENCODABLE}`,
    );
  }
  let length = 4;
  for (let i = 0; i < tags.length; i++) {
    const [name, value] = tags[i];
    length += 4 + literalBytes(name, "name", i, name) + literalBytes(value, "value", i, name);
  }
  return length;
}

/**
 * Writes M3's encoding of `tags`, in the order given, into `dst` at `offset`
 * and returns the end offset. Format rules only: names non-empty, literals at
 * most 65535 bytes; empty values are allowed, as M3's encoder allows them.
 * Throws RangeError if `dst` is too small (see encodedTagsLength).
 */
export function encodeTagsInto(tags: readonly Tag[], dst: Uint8Array, offset: number): number {
  const end = offset + encodedTagsLength(tags);
  if (end > dst.length) {
    throw new RangeError(
      `encoded tags need ${end - offset} bytes at ${offset}; dst has ${dst.length}`,
    );
  }
  let pos = writeU16(dst, offset, TAG_ENCODING_MAGIC);
  pos = writeU16(dst, pos, tags.length);
  for (const [name, value] of tags) {
    pos = writeLiteral(dst, pos, name);
    pos = writeLiteral(dst, pos, value);
  }
  return pos;
}

/** M3's encoding of `tags`, in the order given (see encodeTagsInto). */
export function encodeTags(tags: readonly Tag[]): Uint8Array {
  const dst = new Uint8Array(encodedTagsLength(tags));
  encodeTagsInto(tags, dst, 0);
  return dst;
}

function writeU16(dst: Uint8Array, pos: number, value: number): number {
  dst[pos] = value & 0xff;
  dst[pos + 1] = value >>> 8;
  return pos + 2;
}

function writeLiteral(dst: Uint8Array, pos: number, text: string): number {
  const start = pos + 2;
  let end: number;
  if (text.length > 64) {
    end = start + utf8Encoder.encodeInto(text, dst.subarray(start)).written;
  } else {
    // Short literals, the usual case: a plain loop beats encodeInto's call
    // overhead several times over. The text is well-formed (checked by
    // encodedTagsLength), so a high surrogate is always followed by a low one.
    end = start;
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i);
      if (c < 0x80) dst[end++] = c;
      else if (c < 0x800) {
        dst[end++] = 0xc0 | (c >> 6);
        dst[end++] = 0x80 | (c & 0x3f);
      } else if (c < 0xd800 || c >= 0xe000) {
        dst[end++] = 0xe0 | (c >> 12);
        dst[end++] = 0x80 | ((c >> 6) & 0x3f);
        dst[end++] = 0x80 | (c & 0x3f);
      } else {
        c = 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
        dst[end++] = 0xf0 | (c >> 18);
        dst[end++] = 0x80 | ((c >> 12) & 0x3f);
        dst[end++] = 0x80 | ((c >> 6) & 0x3f);
        dst[end++] = 0x80 | (c & 0x3f);
      }
    }
  }
  writeU16(dst, pos, end - start);
  return end;
}

/**
 * Checks the structure of an encoding: magic, count, every length within the
 * bytes, names non-empty, nothing after the last tag. Returns the tag count.
 * UTF-8 validity is not checked here (decodeTags checks it).
 */
export function checkEncodedTags(bytes: Uint8Array): number {
  if (bytes.length < 4) {
    throw encodingError("truncated", 0, `${bytes.length} bytes cannot hold the 4-byte header`);
  }
  const magic = bytes[0] | (bytes[1] << 8);
  if (magic !== TAG_ENCODING_MAGIC) {
    throw encodingError("bad-magic", 0, `magic ${magic} is not ${TAG_ENCODING_MAGIC}`);
  }
  const count = bytes[2] | (bytes[3] << 8);
  let pos = 4;
  for (let i = 0; i < count; i++) {
    for (let field = 0; field < 2; field++) {
      const what = `tag ${i}'s ${field === 0 ? "name" : "value"}`;
      if (pos + 2 > bytes.length) {
        throw encodingError("truncated", pos, `the bytes end before ${what} length`);
      }
      const length = bytes[pos] | (bytes[pos + 1] << 8);
      if (field === 0 && length === 0) {
        throw encodingError("empty-name", pos, `tag ${i}'s name is empty`);
      }
      if (pos + 2 + length > bytes.length) {
        throw encodingError(
          "truncated",
          pos,
          `${what} of ${length} bytes runs past the end (${bytes.length} bytes)`,
        );
      }
      pos += 2 + length;
    }
  }
  if (pos !== bytes.length) {
    throw encodingError(
      "trailing-bytes",
      pos,
      `${bytes.length - pos} bytes follow the last of ${count} tags`,
    );
  }
  return count;
}

function encodingError(reason: InvalidTagsReason, offset: number, detail: string) {
  return new InvalidTagsError(
    reason,
    `encoded tags invalid at byte ${offset}: ${detail}`,
    -1,
    offset,
  );
}

/** Decodes M3's tag encoding into tags, in the order stored; validates structure and UTF-8. */
export function decodeTags(bytes: Uint8Array): Tag[] {
  const count = checkEncodedTags(bytes);
  const tags: Tag[] = new Array(count);
  let pos = 4;
  for (let i = 0; i < count; i++) {
    const nameStart = pos + 2;
    pos = nameStart + (bytes[pos] | (bytes[pos + 1] << 8));
    const name = decodeUtf8(bytes, nameStart, pos);
    const valueStart = pos + 2;
    pos = valueStart + (bytes[pos] | (bytes[pos + 1] << 8));
    tags[i] = [name, decodeUtf8(bytes, valueStart, pos)];
  }
  return tags;
}

function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  try {
    return utf8Decoder.decode(bytes.subarray(start, end));
  } catch {
    throw encodingError("not-unicode", start, `the ${end - start} bytes here are not valid UTF-8`);
  }
}

// ---- the quoted series ID (§4.2) --------------------------------------------
// `{` name=value pairs joined by `,` `}`. A name or value with no byte below
// 0x20, no `"`, no 0x7F and no byte >= 0x80 is copied as is (a value inside
// double quotes), backslashes included. Otherwise a name is written escaped
// and a value quoted and escaped, as M3's strconv.Escape does: see writeEscaped.

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

// ---- shards (§3) ------------------------------------------------------------

/** The shard of a series ID: murmur3_32(id, seed) % numShards, as M3's sharding does. */
export function shardOf(id: Uint8Array, numShards: number, seed = 0): number {
  if (!(Number.isInteger(numShards) && numShards >= 1 && numShards <= 0xffffffff)) {
    throw new InvalidShardingError("numShards", numShards, "an integer in 1..4294967295");
  }
  if (!(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff)) {
    throw new InvalidShardingError("seed", seed, "an unsigned 32-bit integer");
  }
  return murmur3_32(id, seed) % numShards;
}
