// Numbers as Prometheus's Go code reads them: strconv.ParseFloat's accepted
// syntax (for the `le` label of classic buckets), plus math.Max and math.Min,
// whose special cases differ from Math.max and Math.min.

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+)$/;

/**
 * Parses a float as Go's strconv.ParseFloat(s, 64) does, or returns undefined
 * where Go returns an error: no surrounding spaces, "inf"/"infinity" with an
 * optional sign and "nan" in any case, hexadecimal only with a `p` exponent,
 * and a decimal that overflows to ±Inf is an error (ErrRange).
 */
export function parseGoFloat(s: string): number | undefined {
  if (DECIMAL.test(s)) {
    const v = Number(s);
    return Number.isFinite(v) ? v : undefined;
  }
  const lower = s.toLowerCase();
  const unsigned = lower[0] === "+" || lower[0] === "-" ? lower.slice(1) : lower;
  if (unsigned === "inf" || unsigned === "infinity") {
    return lower[0] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (lower === "nan") return Number.NaN;
  const hex = HEX.exec(s);
  if (hex !== null && hex[2].length + hex[3].length > 0) {
    const mantissa = Number.parseInt(hex[2] + hex[3] || "0", 16);
    const v = mantissa * 2 ** (Number(hex[4]) - 4 * hex[3].length);
    if (!Number.isFinite(v)) return undefined;
    return hex[1] === "-" ? -v : v;
  }
  return undefined;
}

/** Go's math.Max: +Inf wins over NaN, NaN over any other value, +0 over -0. */
export function goMax(x: number, y: number): number {
  if (x === Number.POSITIVE_INFINITY || y === Number.POSITIVE_INFINITY) {
    return Number.POSITIVE_INFINITY;
  }
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.NaN;
  if (x === 0 && y === 0) return Object.is(x, -0) ? y : x;
  return Math.max(x, y);
}

/** Go's math.Min: -Inf wins over NaN, NaN over any other value, -0 over +0. */
export function goMin(x: number, y: number): number {
  if (x === Number.NEGATIVE_INFINITY || y === Number.NEGATIVE_INFINITY) {
    return Number.NEGATIVE_INFINITY;
  }
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.NaN;
  if (x === 0 && y === 0) return Object.is(x, -0) ? x : y;
  return Math.min(x, y);
}
