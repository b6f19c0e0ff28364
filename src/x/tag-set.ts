// Tag sets: the Tag type, the rules a series' tags must follow, and the
// canonical order they are kept in (UTF-8 byte order of names, as M3's Go
// code compares them). Normalisation follows M3's src/query/models/tags.go
// (Normalize and Validate).
import { M3tsError } from "./errors.js";

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
export function literalBytes(
  text: string,
  field: "name" | "value",
  position: number,
  name: string,
) {
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
