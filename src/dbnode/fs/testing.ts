// Helpers shared by the fileset tests: temp directories and volumes of real
// M3TSZ streams. Not part of the module's public face.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { M3tszEncoder } from "../../codec/index.js";
import { encodeTags, seededRandom } from "../../x/index.js";
import type { VolumeEntry, VolumeId } from "./writer.js";

/** Runs `fn` with a fresh temp directory and removes it afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "m3ts-fs-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const BLOCK_START_MS = 1_700_000_000_000 - (1_700_000_000_000 % 7_200_000);
export const BLOCK_SIZE_MS = 7_200_000;

export function volumeId(volume = 0, shard = 3, namespace = "default"): VolumeId {
  return { namespace, shard, blockStartMs: BLOCK_START_MS, volume };
}

const enc = new TextEncoder();

export function seriesId(i: number, name = "m"): Uint8Array {
  return enc.encode(`{__name__="${name}",i="${i}"}`);
}

/** `count` series with random tags and real M3TSZ streams, in a shuffled order. */
export function makeEntries(count: number, seed: number, name = "m"): VolumeEntry[] {
  const rand = seededRandom(seed);
  const encoder = new M3tszEncoder(BLOCK_START_MS);
  const out: VolumeEntry[] = [];
  for (let i = 0; i < count; i++) {
    encoder.reset(BLOCK_START_MS);
    const points = 1 + Math.floor(rand() * 20);
    let t = BLOCK_START_MS;
    for (let p = 0; p < points; p++) {
      t += 1000 + Math.floor(rand() * 30_000);
      encoder.append(t, rand() < 0.5 ? Math.floor(rand() * 1000) : rand() * 1e6);
    }
    const tags = encodeTags([
      ["__name__", name],
      ["host", `h${Math.floor(rand() * 100)}`],
      ["i", String(i)],
    ]);
    out.push({ id: seriesId(i, name), encodedTags: tags, stream: encoder.bytes() });
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}
