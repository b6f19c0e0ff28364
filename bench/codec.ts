// `npm run bench:codec`: compression and speed of M3TSZ against plain Gorilla
// and m3ts's packed blocks (docs/format/packed.md) on generated
// Prometheus-like datasets (bench/datasets.ts). Prints one `name value unit`
// line per figure; each speed is the median of several timed passes over the
// whole dataset, on one thread. Packed blocks also get their size after zstd
// over groups of consecutive series' blocks (as a volume file compresses
// them) and the decode rate with that zstd stage included.
//
// Options: --reps N (timed passes per figure, default 7), --points N
// (minimum datapoints per dataset, default 1_000_000), --only a,b (datasets),
// --codec m3tsz|gorilla|packed (one codec only), --jitter scrape|uniform (how
// jittered datasets scatter their scrapes; see JitterModel in datasets.ts).
import { parseArgs } from "node:util";
import { compress, decompress } from "zstd-napi";
import {
  M3tszEncoder,
  M3tszIterator,
  packedCount,
  packSeries,
  unpackSeries,
} from "../src/codec/index.js";
import { TimeUnit } from "../src/x/index.js";
import {
  DATASET_NAMES,
  type Dataset,
  type DatasetName,
  type JitterModel,
  MIX_WEIGHTS,
  makeDataset,
} from "./datasets.js";
import { GorillaEncoder, GorillaIterator } from "./gorilla.js";

type Figures = {
  bytesPerDp: number;
  encodeDps: number;
  decodeDps: number;
  /** Packed only: bytes after zstd over ZSTD_GROUP_BYTES groups, and the decode rate through it. */
  zstdBytesPerDp?: number;
  zstdDecodeDps?: number;
};

/** Untimed passes before each timed figure. */
const WARMUP_PASSES = 3;

/** Consecutive series' packed blocks are compressed together in groups of at least this size. */
const ZSTD_GROUP_BYTES = 16 * 1024;

/** A codec as the benchmark drives it: encode every series, then decode every stream. */
interface Codec {
  name: string;
  encodeAll(ds: Dataset, keep: Uint8Array[] | null): number;
  decodeAll(streams: Uint8Array[]): number;
}

const m3tsz: Codec = {
  name: "m3tsz",
  encodeAll(ds, keep) {
    const enc = new M3tszEncoder(ds.blockStartMs);
    const p = ds.pointsPerSeries;
    let bytes = 0;
    for (let s = 0; s < ds.seriesCount; s++) {
      enc.reset(ds.blockStartMs);
      const base = s * p;
      for (let i = 0; i < p; i++) {
        enc.append(ds.timesMs[base + i], ds.values[base + i], TimeUnit.Millisecond);
      }
      bytes += enc.byteLength;
      if (keep !== null) keep.push(enc.bytes());
    }
    return bytes;
  },
  decodeAll(streams) {
    const it = new M3tszIterator();
    let n = 0;
    for (const stream of streams) {
      it.reset(stream);
      while (it.next()) n++;
      if (it.error !== null) throw it.error;
    }
    return n;
  },
};

const gorilla: Codec = {
  name: "gorilla",
  encodeAll(ds, keep) {
    const enc = new GorillaEncoder(ds.blockStartMs);
    const p = ds.pointsPerSeries;
    let bytes = 0;
    for (let s = 0; s < ds.seriesCount; s++) {
      enc.reset(ds.blockStartMs);
      const base = s * p;
      for (let i = 0; i < p; i++) enc.append(ds.timesMs[base + i], ds.values[base + i]);
      const out = enc.bytes();
      bytes += out.length;
      if (keep !== null) keep.push(out);
    }
    return bytes;
  },
  decodeAll(streams) {
    const it = new GorillaIterator();
    let n = 0;
    for (const stream of streams) {
      it.reset(stream);
      while (it.next()) n++;
    }
    return n;
  },
};

/** Reused decode columns of the packed codec. */
let packedTimes = new Float64Array(1024);
let packedValues = new Float64Array(1024);

function unpackInto(block: Uint8Array): number {
  const n = packedCount(block);
  if (packedTimes.length < n) {
    packedTimes = new Float64Array(2 * n);
    packedValues = new Float64Array(2 * n);
  }
  return unpackSeries(block, packedTimes, packedValues);
}

const packed: Codec = {
  name: "packed",
  encodeAll(ds, keep) {
    const p = ds.pointsPerSeries;
    let bytes = 0;
    for (let s = 0; s < ds.seriesCount; s++) {
      const base = s * p;
      const out = packSeries(
        ds.timesMs.subarray(base, base + p),
        ds.values.subarray(base, base + p),
        p,
      );
      bytes += out.length;
      if (keep !== null) keep.push(out);
    }
    return bytes;
  },
  decodeAll(blocks) {
    let n = 0;
    for (const block of blocks) n += unpackInto(block);
    return n;
  },
};

/** A zstd frame over consecutive blocks, with each block's length to split it again. */
type ZstdGroup = { frame: Uint8Array; lengths: number[] };

function zstdGroups(blocks: Uint8Array[]): ZstdGroup[] {
  const groups: ZstdGroup[] = [];
  let start = 0;
  while (start < blocks.length) {
    let end = start;
    let size = 0;
    while (end < blocks.length && size < ZSTD_GROUP_BYTES) size += blocks[end++].length;
    const joined = new Uint8Array(size);
    const lengths: number[] = [];
    let at = 0;
    for (let i = start; i < end; i++) {
      joined.set(blocks[i], at);
      at += blocks[i].length;
      lengths.push(blocks[i].length);
    }
    groups.push({ frame: compress(joined), lengths });
    start = end;
  }
  return groups;
}

/** Decompresses every group and decodes every block in it. */
function decodeZstdGroups(groups: ZstdGroup[]): number {
  let n = 0;
  for (const g of groups) {
    const joined = decompress(g.frame);
    let at = 0;
    for (const len of g.lengths) {
      n += unpackInto(joined.subarray(at, at + len));
      at += len;
    }
  }
  return n;
}

/** Checks that every stream decodes to exactly the dataset's points, bit for bit. */
function verify(codec: Codec, ds: Dataset, streams: Uint8Array[]): void {
  const f = new Float64Array(2);
  const u = new Uint32Array(f.buffer);
  const check = (s: number, i: number, timeMs: number, value: number) => {
    const k = s * ds.pointsPerSeries + i;
    f[0] = value;
    f[1] = ds.values[k];
    if (timeMs !== ds.timesMs[k] || u[0] !== u[2] || u[1] !== u[3]) {
      throw new Error(
        `${codec.name} ${ds.name}: series ${s} point ${i} decoded as (${timeMs}, ${value}), ` +
          `expected (${ds.timesMs[k]}, ${ds.values[k]})`,
      );
    }
  };
  for (let s = 0; s < streams.length; s++) {
    let i = 0;
    if (codec === m3tsz) {
      const it = new M3tszIterator(streams[s]);
      while (it.next()) check(s, i++, it.timeMs, it.value);
      if (it.error !== null) throw it.error;
    } else if (codec === packed) {
      const n = unpackInto(streams[s]);
      for (; i < n; i++) check(s, i, packedTimes[i], packedValues[i]);
    } else {
      const it = new GorillaIterator();
      it.reset(streams[s]);
      while (it.next()) check(s, i++, it.timeMs, it.value);
    }
    if (i !== ds.pointsPerSeries) {
      throw new Error(`${codec.name} ${ds.name}: series ${s} decoded ${i} points`);
    }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function timeDps(points: number, reps: number, run: () => void): number {
  // Warm-up passes, not timed: with one, the first dataset measured was still
  // running partly unoptimised code (packed decode read 100 M/s first, 180 M/s second).
  for (let w = 0; w < WARMUP_PASSES; w++) run();
  const rates: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    run();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    rates.push(points / seconds);
  }
  return median(rates);
}

function measure(codec: Codec, ds: Dataset, reps: number): Figures {
  const points = ds.seriesCount * ds.pointsPerSeries;
  const streams: Uint8Array[] = [];
  const bytes = codec.encodeAll(ds, streams);
  verify(codec, ds, streams);
  const encodeDps = timeDps(points, reps, () => codec.encodeAll(ds, null));
  const decodeDps = timeDps(points, reps, () => {
    if (codec.decodeAll(streams) !== points) throw new Error(`${codec.name} lost points`);
  });
  const f: Figures = { bytesPerDp: bytes / points, encodeDps, decodeDps };
  if (codec === packed) {
    const groups = zstdGroups(streams);
    let zstdBytes = 0;
    for (const g of groups) zstdBytes += g.frame.length;
    f.zstdBytesPerDp = zstdBytes / points;
    f.zstdDecodeDps = timeDps(points, reps, () => {
      if (decodeZstdGroups(groups) !== points) throw new Error("packed lost points after zstd");
    });
  }
  return f;
}

function print(dataset: string, codec: string, f: Figures): void {
  console.log(`codec.${dataset}.${codec}.bytes_per_dp ${f.bytesPerDp.toFixed(3)} bytes`);
  console.log(`codec.${dataset}.${codec}.encode_dps ${Math.round(f.encodeDps)} dp/s`);
  console.log(`codec.${dataset}.${codec}.decode_dps ${Math.round(f.decodeDps)} dp/s`);
  if (f.zstdBytesPerDp !== undefined && f.zstdDecodeDps !== undefined) {
    console.log(`codec.${dataset}.${codec}.zstd_bytes_per_dp ${f.zstdBytesPerDp.toFixed(3)} bytes`);
    console.log(`codec.${dataset}.${codec}.zstd_decode_dps ${Math.round(f.zstdDecodeDps)} dp/s`);
  }
}

/**
 * The weighted mix: bytes are the weighted mean; speeds are the rate of a
 * workload made of the datasets in those proportions (a weighted harmonic mean).
 */
function mix(results: Map<DatasetName, Figures>): Figures | null {
  let bytes = 0;
  let encodeTime = 0;
  let decodeTime = 0;
  let zstdBytes = 0;
  let zstdDecodeTime = 0;
  let zstd = true;
  for (const [name, weight] of Object.entries(MIX_WEIGHTS) as [DatasetName, number][]) {
    const f = results.get(name);
    if (f === undefined) return null;
    bytes += weight * f.bytesPerDp;
    encodeTime += weight / f.encodeDps;
    decodeTime += weight / f.decodeDps;
    if (f.zstdBytesPerDp === undefined || f.zstdDecodeDps === undefined) zstd = false;
    else {
      zstdBytes += weight * f.zstdBytesPerDp;
      zstdDecodeTime += weight / f.zstdDecodeDps;
    }
  }
  const out: Figures = { bytesPerDp: bytes, encodeDps: 1 / encodeTime, decodeDps: 1 / decodeTime };
  if (zstd) {
    out.zstdBytesPerDp = zstdBytes;
    out.zstdDecodeDps = 1 / zstdDecodeTime;
  }
  return out;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      reps: { type: "string", default: "7" },
      points: { type: "string", default: "1000000" },
      only: { type: "string" },
      codec: { type: "string" },
      jitter: { type: "string", default: "scrape" },
    },
  });
  const reps = Number(values.reps);
  const minPoints = Number(values.points);
  if (!Number.isInteger(reps) || reps < 1)
    throw new Error(`--reps must be a positive integer, got ${values.reps}`);
  if (!Number.isInteger(minPoints) || minPoints < 1) {
    throw new Error(`--points must be a positive integer, got ${values.points}`);
  }
  const names =
    values.only === undefined ? [...DATASET_NAMES] : (values.only.split(",") as DatasetName[]);
  for (const name of names) {
    if (!DATASET_NAMES.includes(name)) throw new Error(`--only: unknown dataset "${name}"`);
  }

  const codecs = [m3tsz, gorilla, packed].filter(
    (c) => values.codec === undefined || values.codec === c.name,
  );
  if (codecs.length === 0)
    throw new Error(`--codec: unknown codec "${values.codec}"; known: m3tsz, gorilla, packed`);
  const results = new Map<string, Map<DatasetName, Figures>>(
    codecs.map((c) => [c.name, new Map()]),
  );
  for (const name of names) {
    const ds = makeDataset(name, minPoints, values.jitter as JitterModel);
    for (const codec of codecs) {
      const f = measure(codec, ds, reps);
      results.get(codec.name)?.set(name, f);
      print(name, codec.name, f);
    }
  }
  for (const codec of codecs) {
    const f = mix(results.get(codec.name) ?? new Map());
    if (f === null) continue;
    print("mix", codec.name, f);
    if (codec === packed && f.zstdBytesPerDp !== undefined && f.zstdDecodeDps !== undefined) {
      // The packed encoding's headline figures, on the mix, beside codec.mix.m3tsz.*.
      console.log(`codec.packed.bytes_per_dp ${f.bytesPerDp.toFixed(3)} bytes`);
      console.log(`codec.packed.zstd_bytes_per_dp ${f.zstdBytesPerDp.toFixed(3)} bytes`);
      console.log(`codec.packed.encode_dps ${Math.round(f.encodeDps)} dp/s`);
      console.log(`codec.packed.decode_dps ${Math.round(f.decodeDps)} dp/s`);
      console.log(`codec.packed.zstd_decode_dps ${Math.round(f.zstdDecodeDps)} dp/s`);
    }
  }
}

main();
