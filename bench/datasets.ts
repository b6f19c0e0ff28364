// Deterministic benchmark datasets shaped like Prometheus data: one 2-hour
// block of 720 points per series at a 10 s scrape interval, from a fixed seed.
// The generators aim at what real scrapes look like, not at what compresses
// well; each one's choices are written beside it.

/** One dataset: series s holds indices [s * pointsPerSeries, (s + 1) * pointsPerSeries). */
export type Dataset = {
  name: string;
  seriesCount: number;
  pointsPerSeries: number;
  blockStartMs: number;
  timesMs: Float64Array;
  values: Float64Array;
};

export const DATASET_NAMES = ["counter", "gauge2dp", "constant", "histogram", "random"] as const;

export type DatasetName = (typeof DATASET_NAMES)[number];

/** Share of each kind in a typical Prometheus workload, for a blended figure. */
export const MIX_WEIGHTS = {
  counter: 0.4,
  gauge2dp: 0.3,
  constant: 0.15,
  histogram: 0.15,
} as const;

export const DEFAULT_MIN_POINTS = 1_000_000;
export const POINTS_PER_SERIES = 720;
export const SCRAPE_INTERVAL_MS = 10_000;
/** 2023-11-14T22:00:00Z, a multiple of the 2-hour block size (7_200_000 ms). */
export const BLOCK_START_MS = 1_699_999_200_000;
/** Scrape jitter, where a dataset has it, is an integer in [0, MAX_JITTER_MS]. */
export const MAX_JITTER_MS = 50;

/**
 * How jittered datasets place their scrapes on the 10 s grid:
 * - "scrape" (the default) follows what real scrapes look like. In M3's ten
 *   real sample series (src/codec/testdata/m3tsz-vectors.json, Prometheus data at 10 s),
 *   98.6% of scrapes sit exactly on their grid and the late ones are mostly
 *   1 ms late (70%), some 2..6 ms, a few 20..50 ms. So each series gets a
 *   late fraction drawn from 0..10% (mean 5%, above the observed 1.4%), and a
 *   late scrape is 1 ms late with probability 0.7, 2..6 ms with 0.25 and
 *   7..50 ms with 0.05.
 * - "uniform" puts every scrape a uniform 0..50 ms off the grid: a stress
 *   case far noisier than real scrapers.
 */
export type JitterModel = "scrape" | "uniform";
export const JITTER_MODELS: readonly JitterModel[] = ["scrape", "uniform"];
/** Cumulative `le` bounds of the histogram dataset: the Prometheus client libraries' defaults. */
export const HISTOGRAM_BOUNDS = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  Number.POSITIVE_INFINITY,
] as const;

const SEED = 0x6d337473; // "m3ts"

/** Builds dataset `name` with at least `minPoints` datapoints, in whole series of 720. */
export function makeDataset(
  name: DatasetName,
  minPoints = DEFAULT_MIN_POINTS,
  jitter: JitterModel = "scrape",
): Dataset {
  const kind = DATASET_NAMES.indexOf(name);
  if (!JITTER_MODELS.includes(jitter)) {
    throw new RangeError(`unknown jitter model "${jitter}"; known: ${JITTER_MODELS.join(", ")}`);
  }
  if (kind < 0) {
    throw new RangeError(`unknown dataset "${name}"; known: ${DATASET_NAMES.join(", ")}`);
  }
  if (!Number.isSafeInteger(minPoints) || minPoints < 1) {
    throw new RangeError(`minPoints must be a positive integer, got ${minPoints}`);
  }
  let seriesCount = Math.ceil(minPoints / POINTS_PER_SERIES);
  // A histogram is only whole with all its buckets, so round up to whole histograms.
  const group = name === "histogram" ? HISTOGRAM_BOUNDS.length : 1;
  seriesCount = Math.ceil(seriesCount / group) * group;

  const points = seriesCount * POINTS_PER_SERIES;
  const ds: Dataset = {
    name,
    seriesCount,
    pointsPerSeries: POINTS_PER_SERIES,
    blockStartMs: BLOCK_START_MS,
    timesMs: new Float64Array(points),
    values: new Float64Array(points),
  };
  // One stream per dataset, consumed series by series, so a smaller dataset is
  // a prefix of a larger one and datasets do not depend on each other.
  const rng = new Rng(SEED + kind);
  switch (name) {
    case "counter":
      fillCounters(ds, rng, jitter);
      break;
    case "gauge2dp":
      fillGauges(ds, rng, jitter);
      break;
    case "constant":
      fillConstants(ds, rng);
      break;
    case "histogram":
      fillHistograms(ds, rng);
      break;
    case "random":
      fillRandom(ds, rng);
      break;
  }
  return ds;
}

/** Scrape times of series `s`: on the 10 s grid, plus jitter when `rng` is given. */
function fillTimes(ds: Dataset, s: number, rng: Rng | null, jitter: JitterModel = "scrape"): void {
  const at = s * POINTS_PER_SERIES;
  const lateFraction = rng !== null && jitter === "scrape" ? rng.uniform() * 0.1 : 0;
  for (let i = 0; i < POINTS_PER_SERIES; i++) {
    let jitterMs = 0;
    if (rng !== null)
      jitterMs = jitter === "uniform" ? rng.int(MAX_JITTER_MS + 1) : lateness(rng, lateFraction);
    ds.timesMs[at + i] = BLOCK_START_MS + i * SCRAPE_INTERVAL_MS + jitterMs;
  }
}

/** How late one scrape is under the "scrape" model (see JitterModel). */
function lateness(rng: Rng, lateFraction: number): number {
  if (rng.uniform() >= lateFraction) return 0;
  const kind = rng.uniform();
  if (kind < 0.7) return 1;
  if (kind < 0.95) return 2 + rng.int(5);
  return 7 + rng.int(MAX_JITTER_MS - 6);
}

// Counters (`http_requests_total` and the like): integer event counts. The
// rate is log-uniform over 0.01..1000 events/s, the spread between a rarely
// hit error path and a busy endpoint; events in a 10 s scrape interval are
// Poisson. The counter has been running before the block, so it starts
// anywhere in 0..1e6. No resets: a restart would start a new series here.
// Scrape times jitter by 0..50 ms (see JitterModel).
function fillCounters(ds: Dataset, rng: Rng, jitter: JitterModel): void {
  for (let s = 0; s < ds.seriesCount; s++) {
    fillTimes(ds, s, rng, jitter);
    const perScrape = rng.logUniform(0.01, 1000) * (SCRAPE_INTERVAL_MS / 1000);
    let count = rng.int(1_000_001);
    const at = s * POINTS_PER_SERIES;
    for (let i = 0; i < POINTS_PER_SERIES; i++) {
      if (i > 0) count += rng.poisson(perScrape);
      ds.values[at + i] = count;
    }
  }
}

// Gauges with two decimals (temperatures, percentages, queue lengths rendered
// with a fixed precision): a random walk from a start in [0, 1000) with a
// normal step whose scale is log-uniform over 0.01..10, each value rounded to
// hundredths. The walk may cross zero; -0 is stored as +0, as a scrape of
// "0.00" would be. Scrape times jitter by 0..50 ms (see JitterModel).
function fillGauges(ds: Dataset, rng: Rng, jitter: JitterModel): void {
  for (let s = 0; s < ds.seriesCount; s++) {
    fillTimes(ds, s, rng, jitter);
    const scale = rng.logUniform(0.01, 10);
    let v = toHundredths(rng.uniform() * 1000);
    const at = s * POINTS_PER_SERIES;
    for (let i = 0; i < POINTS_PER_SERIES; i++) {
      if (i > 0) v = toHundredths(v + rng.normal() * scale);
      ds.values[at + i] = v;
    }
  }
}

function toHundredths(x: number): number {
  // Adding 0 turns the -0 that Math.round gives for (-0.5, 0) into +0.
  return Math.round(x * 100) / 100 + 0;
}

// Constant gauges, the long tail of a real target: `up` and `*_info` series
// (1), unused flags and idle gauges (0), small configured counts (CPUs,
// replicas: 2..64), sizes in bytes (2^10..2^36), fixed fractions and
// thresholds (0.5, 0.95, 3.25 ...), and start times in seconds with two
// decimals (`process_start_time_seconds`). Scrapes of static targets here
// carry no jitter.
const CONSTANT_FRACTIONS = [0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.5, 3.25] as const;

function fillConstants(ds: Dataset, rng: Rng): void {
  for (let s = 0; s < ds.seriesCount; s++) {
    fillTimes(ds, s, null);
    const pick = rng.uniform();
    let v: number;
    if (pick < 0.45) v = 1;
    else if (pick < 0.6) v = 0;
    else if (pick < 0.75) v = 2 + rng.int(63);
    else if (pick < 0.85) v = 2 ** (10 + rng.int(27));
    else if (pick < 0.95) v = CONSTANT_FRACTIONS[rng.int(CONSTANT_FRACTIONS.length)];
    else v = toHundredths(BLOCK_START_MS / 1000 - rng.uniform() * 30 * 86_400);
    ds.values.fill(v, s * POINTS_PER_SERIES, (s + 1) * POINTS_PER_SERIES);
  }
}

// Histogram `_bucket` counters: per histogram a request rate log-uniform over
// 0.001..50 /s and a lognormal latency with a median log-uniform over
// 10 ms..1 s and a log-space sigma in [0.3, 1.2], which puts most requests in
// the middle buckets and leaves the lowest buckets mostly at zero. Each
// request in a 10 s interval (Poisson) lands in the first bucket whose bound
// holds its latency. The histogram has been up for a log-uniform 10 min to
// 30 days before the block, so buckets start at the expected counts of that
// uptime. Series h*12 + b is bucket b of histogram h. No jitter: the
// buckets of one histogram are scraped together.
function fillHistograms(ds: Dataset, rng: Rng): void {
  const buckets = HISTOGRAM_BOUNDS.length;
  const counts = new Float64Array(buckets);
  const logBounds = HISTOGRAM_BOUNDS.map(Math.log);
  for (let h = 0; h < ds.seriesCount / buckets; h++) {
    const ratePerS = rng.logUniform(0.001, 50);
    const mu = Math.log(rng.logUniform(0.01, 1));
    const sigma = 0.3 + 0.9 * rng.uniform();
    const uptimeS = rng.logUniform(600, 30 * 86_400);
    const total = Math.round(ratePerS * uptimeS);
    for (let b = 0; b < buckets; b++) {
      const share = b === buckets - 1 ? 1 : normalCdf((logBounds[b] - mu) / sigma);
      // Running max keeps the start cumulative whatever the CDF's rounding.
      counts[b] = Math.max(b === 0 ? 0 : counts[b - 1], Math.floor(total * share));
      fillTimes(ds, h * buckets + b, null);
    }
    const perScrape = ratePerS * (SCRAPE_INTERVAL_MS / 1000);
    const at = h * buckets * POINTS_PER_SERIES;
    for (let i = 0; i < POINTS_PER_SERIES; i++) {
      if (i > 0) {
        const requests = rng.poisson(perScrape);
        for (let r = 0; r < requests; r++) {
          const logLatency = mu + sigma * rng.normal();
          let b = 0;
          while (logLatency > logBounds[b]) b++;
          // A request counts in its bucket and every wider one.
          for (let c = b; c < buckets; c++) counts[c]++;
        }
      }
      for (let b = 0; b < buckets; b++) ds.values[at + b * POINTS_PER_SERIES + i] = counts[b];
    }
  }
}

// High-entropy floats, the worst case for any XOR scheme: half the series
// hold uniform [0, 1) doubles scaled by 10^k with k drawn per point from
// -6..9, the other half raw random 64-bit patterns, redrawn when the exponent
// is all ones so every value is finite (subnormals and negatives included).
// No jitter.
function fillRandom(ds: Dataset, rng: Rng): void {
  const bits = new Uint32Array(ds.values.buffer);
  for (let s = 0; s < ds.seriesCount; s++) {
    fillTimes(ds, s, null);
    const raw = rng.uniform() < 0.5;
    const at = s * POINTS_PER_SERIES;
    for (let i = at; i < at + POINTS_PER_SERIES; i++) {
      if (!raw) {
        ds.values[i] = rng.uniform() * 10 ** (rng.int(16) - 6);
        continue;
      }
      let hi: number;
      do hi = rng.u32();
      while ((hi & 0x7ff00000) === 0x7ff00000);
      // Little-endian view: the low half of value i comes first.
      bits[2 * i] = rng.u32();
      bits[2 * i + 1] = hi;
    }
  }
}

/** Standard normal CDF through erf (Abramowitz and Stegun 7.1.26, error below 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/**
 * xoshiro128** (Blackman and Vigna): 128 bits of state, period 2^128 - 1,
 * seeded by running a 32-bit seed through a Weyl sequence and a mixer.
 */
class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Box-Muller makes normals in pairs; the second waits here (NaN when none). */
  private spareNormal: number;

  constructor(seed: number) {
    let weyl = seed | 0;
    const mix = (): number => {
      weyl = (weyl + 0x9e3779b9) | 0;
      let z = weyl;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) | 0;
    };
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    this.spareNormal = Number.NaN;
  }

  /** A uniform unsigned 32-bit integer. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    return ((this.u32() >>> 5) * 67108864 + (this.u32() >>> 6)) / 9007199254740992;
  }

  /** A uniform integer in [0, n), n <= 2^32. */
  int(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }

  /** A value whose logarithm is uniform between those of `lo` and `hi`. */
  logUniform(lo: number, hi: number): number {
    return lo * (hi / lo) ** this.uniform();
  }

  /** A standard normal (Box-Muller). */
  normal(): number {
    const spare = this.spareNormal;
    if (!Number.isNaN(spare)) {
      this.spareNormal = Number.NaN;
      return spare;
    }
    const r = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    const theta = 2 * Math.PI * this.uniform();
    this.spareNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /**
   * A Poisson count with mean `mean`: exact (multiplying uniforms) below 30,
   * where it is cheap, else the normal approximation rounded and clamped at 0.
   */
  poisson(mean: number): number {
    if (mean < 30) {
      const limit = Math.exp(-mean);
      let k = 0;
      let p = this.uniform();
      while (p > limit) {
        k++;
        p *= this.uniform();
      }
      return k;
    }
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
