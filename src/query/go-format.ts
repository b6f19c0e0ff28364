// Go's text forms of floats and strings, for the messages, annotations and
// labels where Prometheus prints a value with fmt or strconv: %q
// (strconv.Quote), %g and %.Ng, %f, and strconv.FormatFloat(v, 'f', -1, 64).

/** "NaN", "+Inf" or "-Inf" as Go prints them, or null for a finite value. */
function nonFinite(v: number): string | null {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return null;
}

function signOf(v: number): string {
  return v < 0 || Object.is(v, -0) ? "-" : "";
}

/**
 * The decimal digits of |v| (finite, non-zero), no trailing zeros, and the
 * position of the decimal point: v = 0.digits × 10^point. `precision` < 0
 * gives the shortest digits that read back to v (JavaScript's and Go's
 * shortest forms agree), else that many significant digits, rounded.
 */
function decimalDigits(v: number, precision: number): { digits: string; point: number } {
  const a = Math.abs(v);
  const e = precision < 0 ? a.toExponential() : a.toExponential(Math.max(precision, 1) - 1);
  const at = e.indexOf("e");
  const digits = e.slice(0, at).replace(".", "").replace(/0+$/, "") || "0";
  return { digits, point: Number(e.slice(at + 1)) + 1 };
}

/** The digits with the decimal point placed, padded with zeros, never an exponent. */
function placePoint(digits: string, point: number): string {
  if (point <= 0) return `0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return digits + "0".repeat(point - digits.length);
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** strconv.FormatFloat(v, 'f', -1, 64): the shortest digits, never an exponent ("1e21" is 22 digits). */
export function formatFloatFixed(v: number): string {
  const special = nonFinite(v);
  if (special !== null) return special;
  if (v === 0) return `${signOf(v)}0`;
  const { digits, point } = decimalDigits(v, -1);
  return signOf(v) + placePoint(digits, point);
}

/**
 * fmt's %g (precision -1, the shortest digits; also %v of a float64) or
 * %.<precision>g: the exponent form when the exponent is below -4 or at least
 * the precision (6 for the shortest form), with a sign and two digits at
 * least ("1e+06", "1.5e-05"); no trailing zeros; "+Inf", "-Inf", "NaN".
 */
export function formatGoG(v: number, precision = -1): string {
  const special = nonFinite(v);
  if (special !== null) return special;
  const sign = signOf(v);
  if (v === 0) return `${sign}0`;
  const { digits, point } = decimalDigits(v, precision);
  const exp = point - 1;
  let limit = precision < 0 ? 6 : Math.max(precision, 1);
  // Go's %.Ng switches to the exponent only past the digits it actually has.
  if (precision >= 0 && limit > digits.length && digits.length >= point) limit = digits.length;
  if (exp < -4 || exp >= limit) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const absExp = Math.abs(exp);
    return `${sign}${mantissa}e${exp < 0 ? "-" : "+"}${absExp < 10 ? "0" : ""}${absExp}`;
  }
  return sign + placePoint(digits, point);
}

/** fmt's %f: six decimals; "+Inf", "-Inf", "NaN". */
export function formatGoF(v: number): string {
  return nonFinite(v) ?? v.toFixed(6);
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
  "\\": "\\\\",
  '"': '\\"',
};

/**
 * strconv.Quote (fmt's %q) of a string: Go's short escapes, other ASCII
 * control characters and DEL as \xNN, everything else kept as it is.
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const short = SHORT_ESCAPES[ch];
    const code = ch.codePointAt(0) as number;
    if (short !== undefined) out += short;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}
