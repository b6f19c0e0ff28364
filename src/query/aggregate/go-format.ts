// Go's text forms of numbers and strings that Prometheus's messages and
// count_values labels carry: strconv.FormatFloat(v, 'f', -1, 64), fmt's %g
// (shortest digits, exponent below 1e-4 and from 1e6 on) and strconv.Quote.

/** Shortest round-trip digits of |v| (v finite, non-zero) and the decimal point position. */
function shortestDigits(v: number): { digits: string; point: number } {
  const [mantissa, exp] = Math.abs(v).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  return { digits, point: Number(exp) + 1 };
}

function signOf(v: number): string {
  return v < 0 || Object.is(v, -0) ? "-" : "";
}

function nonFinite(v: number): string | null {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return null;
}

function fixed(digits: string, point: number): string {
  if (point <= 0) return `0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return digits + "0".repeat(point - digits.length);
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** strconv.FormatFloat(v, 'f', -1, 64): shortest digits, never an exponent. */
export function formatFloatFixed(v: number): string {
  const special = nonFinite(v);
  if (special !== null) return special;
  if (v === 0) return `${signOf(v)}0`;
  const { digits, point } = shortestDigits(v);
  return signOf(v) + fixed(digits, point);
}

/** fmt's %g (and %v) of a float64: "1.1", "1e+06", "1.5e-05", "+Inf", "NaN". */
export function formatGoG(v: number): string {
  const special = nonFinite(v);
  if (special !== null) return special;
  if (v === 0) return `${signOf(v)}0`;
  const { digits, point } = shortestDigits(v);
  const exp = point - 1;
  if (exp < -4 || exp >= 6) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${signOf(v)}${mantissa}e${exp < 0 ? "-" : "+"}${e < 10 ? "0" : ""}${e}`;
  }
  return signOf(v) + fixed(digits, point);
}

const SHORT_ESCAPES: Record<string, string> = {
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

/** strconv.Quote for the strings a label can hold (control characters escaped, the rest kept). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const short = SHORT_ESCAPES[ch];
    const code = ch.codePointAt(0) ?? 0;
    if (short !== undefined) out += short;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if (code >= 0xd800 && code <= 0xdfff) out += "\\ufffd";
    else out += ch;
  }
  return `${out}"`;
}
