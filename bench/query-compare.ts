// Whether two answers of the Prometheus query API agree: the same result
// type, the same label sets, the same timestamps, and values equal within a
// relative tolerance (NaN equal to NaN, infinities to themselves). Order is
// not compared: neither an instant vector nor a matrix promises one here.

/** Agreement bound of bench:query: |a - b| <= REL_TOLERANCE * max(|a|, |b|). */
export const REL_TOLERANCE = 1e-9;
/** Differences listed per comparison; past it only the count grows. */
const MAX_LISTED = 5;

export interface Comparison {
  /** Differences found (may exceed the listed ones). */
  count: number;
  /** The first few, in words. */
  details: string[];
}

/** True when `a` and `b` agree within `relTolerance` relative (see the file's head). */
export function valuesAgree(a: number, b: number, relTolerance = REL_TOLERANCE): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= relTolerance * Math.max(Math.abs(a), Math.abs(b));
}

/** A sample value as the API spells it ("NaN", "+Inf", "-Inf", decimals). */
export function parseSampleValue(text: string): number {
  if (text === "+Inf" || text === "Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN") return Number.NaN;
  const v = Number(text);
  if (text.trim() === "" || Number.isNaN(v)) throw new RangeError(`not a sample value: "${text}"`);
  return v;
}

type Point = [number, string];
interface ApiSeries {
  metric: Record<string, string>;
  value?: Point;
  values?: Point[];
}

/** The `data` of a query API answer: { resultType, result }. */
export interface QueryData {
  resultType: string;
  result: unknown;
}

/** Labels in one canonical spelling, sorted by name. */
function labelKey(metric: Record<string, string>): string {
  const names = Object.keys(metric).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(metric[n])}`).join(", ")}}`;
}

function pointsOf(s: ApiSeries): Point[] {
  if (s.values !== undefined) return s.values;
  return s.value === undefined ? [] : [s.value];
}

/** Compares two answers' `data` (`a` from m3ts, `b` from Prometheus in bench:query). */
export function compareQueryData(
  a: QueryData,
  b: QueryData,
  relTolerance = REL_TOLERANCE,
): Comparison {
  const out: Comparison = { count: 0, details: [] };
  const differ = (what: string) => {
    out.count++;
    if (out.details.length < MAX_LISTED) out.details.push(what);
  };
  if (a.resultType !== b.resultType) {
    differ(`result type ${a.resultType} vs ${b.resultType}`);
    return out;
  }
  if (a.resultType === "scalar" || a.resultType === "string") {
    comparePoints("scalar", [a.result as Point], [b.result as Point], relTolerance, differ);
    return out;
  }
  const left = bySeries(a.result as ApiSeries[], "first", differ);
  const right = bySeries(b.result as ApiSeries[], "second", differ);
  for (const [key, points] of left) {
    const other = right.get(key);
    if (other === undefined) differ(`series ${key} only in the first answer`);
    else comparePoints(key, points, other, relTolerance, differ);
  }
  for (const key of right.keys()) {
    if (!left.has(key)) differ(`series ${key} only in the second answer`);
  }
  return out;
}

function bySeries(
  result: ApiSeries[],
  which: string,
  differ: (what: string) => void,
): Map<string, Point[]> {
  const out = new Map<string, Point[]>();
  for (const s of result) {
    const key = labelKey(s.metric);
    if (out.has(key)) differ(`series ${key} twice in the ${which} answer`);
    out.set(key, pointsOf(s));
  }
  return out;
}

function comparePoints(
  key: string,
  a: Point[],
  b: Point[],
  relTolerance: number,
  differ: (what: string) => void,
): void {
  if (a.length !== b.length) {
    differ(`${key}: ${a.length} points vs ${b.length}`);
    return;
  }
  for (let i = 0; i < a.length; i++) {
    if (a[i][0] !== b[i][0]) {
      differ(`${key}: point ${i} at ${a[i][0]} vs ${b[i][0]}`);
      return;
    }
    const va = parseSampleValue(a[i][1]);
    const vb = parseSampleValue(b[i][1]);
    if (!valuesAgree(va, vb, relTolerance)) {
      differ(`${key} at ${a[i][0]}: ${a[i][1]} vs ${b[i][1]}`);
      return;
    }
  }
}
