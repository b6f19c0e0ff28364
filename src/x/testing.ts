// Helpers shared by tests: temporary directories removed when the test file
// ends, and for the tag, tag encoding and series ID tests the fast-check
// settings, an assertion on InvalidTagsError, hand-built encodings and an
// arbitrary of awkward tag lists. Not part of x's public face.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import fc from "fast-check";
import { InvalidTagsError, type InvalidTagsReason } from "./index.js";

const tempDirs: string[] = [];
let tempCleanupRegistered = false;

/** A fresh directory named `prefix…` under the system's temp dir, removed when the test file ends. */
export async function tempDirFor(prefix: string): Promise<string> {
  if (!tempCleanupRegistered) {
    tempCleanupRegistered = true;
    after(async () => {
      for (const d of tempDirs) await rm(d, { recursive: true, force: true });
    });
  }
  const d = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

export const FC = { seed: 42, includeErrorInReport: true, numRuns: 300 } as const;

/** Asserts that fn throws InvalidTagsError with this reason and a message matching `message`. */
export function throwsTags(
  fn: () => unknown,
  reason: InvalidTagsReason,
  message: RegExp,
  offset = -1,
) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InvalidTagsError, `not an InvalidTagsError: ${e}`);
    assert.equal(e.code, "M3TS_ERR_INVALID_TAGS");
    assert.equal(e.reason, reason, e.message);
    assert.match(e.message, message);
    if (offset >= 0) assert.equal(e.byteOffset, offset, e.message);
    return true;
  });
}

/** Encoded tags built by hand from raw name and value bytes. */
export function rawEncoding(...fields: number[][]): Uint8Array {
  const out = [0x75, 0x27, (fields.length / 2) & 0xff, (fields.length / 2) >> 8];
  for (const f of fields) out.push(f.length & 0xff, f.length >> 8, ...f);
  return Uint8Array.from(out);
}

/** A name or value: ASCII, arbitrary UTF-16, or the characters that need escaping. */
const literal = fc.oneof(
  fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 8 }),
  fc.string({ unit: "binary", minLength: 1, maxLength: 8 }),
  fc.string({
    unit: fc.constantFrom(
      "a",
      '"',
      "\\",
      "\n",
      "\x00",
      "\x7f",
      "\u0085",
      "\u00a0",
      "é",
      "\u{1F600}",
    ),
    minLength: 1,
    maxLength: 8,
  }),
);
/** Up to six (name, value) pairs of such literals; names may repeat, order is arbitrary. */
export const tagList = fc.array(fc.tuple(literal, literal), { maxLength: 6 });
