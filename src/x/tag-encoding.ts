// M3's binary tag encoding (the encoder and decoder of M3's src/x/serialize):
// u16 magic 10101, u16 tag count, then per tag: u16 name length, name bytes,
// u16 value length, value bytes; all little-endian, lengths in bytes. Encoding
// appends into the caller's buffer; decoding checks structure and UTF-8 and
// names the byte offset of what is wrong.
import {
  InvalidTagsError,
  type InvalidTagsReason,
  literalBytes,
  MAX_TAGS_ENCODABLE,
  type Tag,
} from "./tag-set.js";

/** First two bytes of M3's tag encoding, little-endian u16 (bytes 0x75 0x27). */
export const TAG_ENCODING_MAGIC = 10101;

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
