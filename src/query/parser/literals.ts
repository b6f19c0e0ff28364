// PromQL's literals: Go-style string unquoting ("...", '...', `...`),
// numbers as Go's strconv reads them, and durations as Prometheus's
// model.Duration parses and prints them.

/** The result of unquoting: the value, or the lexer's error text. */
export type Unquoted = { ok: true; value: string } | { ok: false; error: string };

const SIMPLE_ESCAPES: Record<string, number> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  "\\": 92,
};

function uPlus(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, "0")} '${String.fromCodePoint(cp)}'`;
}

/** Unquotes a PromQL string literal written with ", ' or `. */
export function unquote(text: string): Unquoted {
  const quote = text[0];
  const body = text.slice(1, -1);
  if (quote === "`") return { ok: true, value: body };
  if (!body.includes("\\")) return { ok: true, value: body };
  const bytes: number[] = [];
  const pushUtf8 = (s: string): void => {
    for (const b of Buffer.from(s, "utf8")) bytes.push(b);
  };
  let i = 0;
  while (i < body.length) {
    const c = body[i] as string;
    if (c !== "\\") {
      const cp = body.codePointAt(i) as number;
      const ch = String.fromCodePoint(cp);
      pushUtf8(ch);
      i += ch.length;
      continue;
    }
    if (i + 1 >= body.length) return { ok: false, error: "escape sequence not terminated" };
    const e = body[i + 1] as string;
    i += 2;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      bytes.push(simple);
      continue;
    }
    if (e === quote) {
      bytes.push(e.charCodeAt(0));
      continue;
    }
    if (e === "x" || e === "u" || e === "U") {
      const n = e === "x" ? 2 : e === "u" ? 4 : 8;
      let v = 0;
      for (let j = 0; j < n; j++) {
        const h = body[i + j];
        if (h === undefined) return { ok: false, error: "escape sequence not terminated" };
        const d = Number.parseInt(h, 16);
        if (Number.isNaN(d)) {
          return {
            ok: false,
            error: `illegal character ${uPlus(h.codePointAt(0) as number)} in escape sequence`,
          };
        }
        v = v * 16 + d;
      }
      i += n;
      if (e === "x") bytes.push(v);
      else {
        if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) {
          return { ok: false, error: "escape sequence is an invalid Unicode code point" };
        }
        pushUtf8(String.fromCodePoint(v));
      }
      continue;
    }
    if (e >= "0" && e <= "7") {
      let v = e.charCodeAt(0) - 48;
      for (let j = 0; j < 2; j++) {
        const o = body[i + j];
        if (o === undefined) return { ok: false, error: "escape sequence not terminated" };
        if (o < "0" || o > "7") {
          return {
            ok: false,
            error: `illegal character ${uPlus(o.codePointAt(0) as number)} in escape sequence`,
          };
        }
        v = v * 8 + (o.charCodeAt(0) - 48);
      }
      i += 2;
      if (v > 255) return { ok: false, error: "escape sequence is an invalid Unicode code point" };
      bytes.push(v);
      continue;
    }
    return { ok: false, error: `unknown escape sequence ${uPlus(e.codePointAt(0) as number)}` };
  }
  return { ok: true, value: Buffer.from(bytes).toString("utf8") };
}

/**
 * Reads a number literal as Prometheus does: integers first (Go's base
 * prefixes: 0x, 0o, 0b, a leading 0 for octal; underscores between digits),
 * then floats (exponents, hex floats, Inf, NaN).
 */
export function parseNumber(text: string): number | null {
  const t = text.toLowerCase();
  if (t === "inf" || t === "+inf" || t === "infinity" || t === "+infinity")
    return Number.POSITIVE_INFINITY;
  if (t === "-inf" || t === "-infinity") return Number.NEGATIVE_INFINITY;
  if (t === "nan") return Number.NaN;
  const clean = t.replace(/_/g, "");
  if (
    t.includes("_") &&
    !/^(0[xob]_?)?[0-9a-f]+(_[0-9a-f]+)*(\.[0-9]+(_[0-9]+)*)?(e[+-]?[0-9]+)?$/.test(t)
  ) {
    return null;
  }
  if (/^0x[0-9a-f]+$/.test(clean)) return Number(clean);
  if (/^0o[0-7]+$/.test(clean)) return Number.parseInt(clean.slice(2), 8);
  if (/^0b[01]+$/.test(clean)) return Number.parseInt(clean.slice(2), 2);
  if (/^0[0-7]+$/.test(clean)) return Number.parseInt(clean.slice(1), 8);
  if (/^([0-9]+\.?[0-9]*|\.[0-9]+)(e[+-]?[0-9]+)?$/.test(clean)) return Number(clean);
  return null;
}

const UNIT_MS: Record<string, number> = {
  y: 365 * 24 * 3600 * 1000,
  w: 7 * 24 * 3600 * 1000,
  d: 24 * 3600 * 1000,
  h: 3600 * 1000,
  m: 60 * 1000,
  s: 1000,
  ms: 1,
};
const UNIT_ORDER = ["y", "w", "d", "h", "m", "s", "ms"];

/** Parses a duration like 1h30m into milliseconds; the error text is Prometheus's. */
export function parseDurationMs(text: string): number | { error: string } {
  if (text === "0") return 0;
  const re = /([0-9]+)([a-zA-Z]+)/y;
  let pos = 0;
  let total = 0;
  let lastUnit = -1;
  const invalid = { error: `not a valid duration string: ${JSON.stringify(text)}` };
  if (text === "") return invalid;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (m === null) return invalid;
    const unit = m[2] as string;
    const size = UNIT_MS[unit];
    if (size === undefined)
      return { error: `unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(text)}` };
    const order = UNIT_ORDER.indexOf(unit);
    if (order <= lastUnit) return invalid;
    lastUnit = order;
    total += Number(m[1]) * size;
    pos = re.lastIndex;
  }
  if (total > 9223372036854) return { error: "duration out of range" };
  return total;
}

/** Prints milliseconds as Prometheus's model.Duration does ("1h30m", "0s"). */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return "0s";
  let rest = ms;
  let out = "";
  for (const u of UNIT_ORDER) {
    const size = UNIT_MS[u] as number;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${u}`;
      rest -= n * size;
    }
  }
  return out;
}
