// Snappy block bodies (Prometheus remote write and read): the decoded length
// is read from the block's header and checked against the body limit before
// anything is decompressed, so a small body cannot claim gigabytes.
import { uncompressSync } from "snappy";
import { BadRequestError, BodyTooLargeError } from "../http.js";

/** Decompresses a snappy block of at most `maxBytes` decoded bytes. */
export function unsnappy(body: Uint8Array, maxBytes: number): Buffer {
  let length = 0;
  let shift = 0;
  let i = 0;
  for (; i < 5; i++) {
    if (i >= body.length)
      throw new BadRequestError("body is not snappy-compressed: it is empty or truncated");
    const b = body[i];
    length += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) break;
  }
  if (i === 5)
    throw new BadRequestError("body is not snappy-compressed: its length header is malformed");
  if (length > maxBytes) throw new BodyTooLargeError(maxBytes, length);
  try {
    return uncompressSync(body) as Buffer;
  } catch (e) {
    throw new BadRequestError(`body is not valid snappy block data: ${(e as Error).message}`);
  }
}
