// `npm run bench:codec`: compression and speed of M3TSZ against plain Gorilla
// on generated Prometheus-like datasets (bench/datasets.ts). Prints one
// `name value unit` line per figure; each speed is the median of several
// timed passes over the whole dataset, on one thread.
//
// Options: --reps N (timed passes per figure, default 7), --points N
// (minimum datapoints per dataset, default 1_000_000), --only a,b (datasets),
// --codec m3tsz|gorilla (one codec only), --jitter scrape|uniform (how
// jittered datasets scatter their scrapes; see JitterModel in datasets.ts).
import { parseArgs } from "node:util";
import { M3tszEncoder, M3tszIterator } from "../src/codec/index.js";
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

type Figures = { bytesPerDp: number; encodeDps: number; decodeDps: number };

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
  run(); // warm-up pass, not timed
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
  return { bytesPerDp: bytes / points, encodeDps, decodeDps };
}

function print(dataset: string, codec: string, f: Figures): void {
  console.log(`codec.${dataset}.${codec}.bytes_per_dp ${f.bytesPerDp.toFixed(3)} bytes`);
  console.log(`codec.${dataset}.${codec}.encode_dps ${Math.round(f.encodeDps)} dp/s`);
  console.log(`codec.${dataset}.${codec}.decode_dps ${Math.round(f.decodeDps)} dp/s`);
}

/**
 * The weighted mix: bytes are the weighted mean; speeds are the rate of a
 * workload made of the datasets in those proportions (a weighted harmonic mean).
 */
function mix(results: Map<DatasetName, Figures>): Figures | null {
  let bytes = 0;
  let encodeTime = 0;
  let decodeTime = 0;
  for (const [name, weight] of Object.entries(MIX_WEIGHTS) as [DatasetName, number][]) {
    const f = results.get(name);
    if (f === undefined) return null;
    bytes += weight * f.bytesPerDp;
    encodeTime += weight / f.encodeDps;
    decodeTime += weight / f.decodeDps;
  }
  return { bytesPerDp: bytes, encodeDps: 1 / encodeTime, decodeDps: 1 / decodeTime };
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

  const codecs = [m3tsz, gorilla].filter(
    (c) => values.codec === undefined || values.codec === c.name,
  );
  if (codecs.length === 0)
    throw new Error(`--codec: unknown codec "${values.codec}"; known: m3tsz, gorilla`);
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
    if (f !== null) print("mix", codec.name, f);
  }
}

main();
