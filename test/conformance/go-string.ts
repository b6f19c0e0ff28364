// Quoted strings of the test scripts, as Go's strconv.Unquote and PromQL's
// lexer read them: "..." and '...' with backslash escapes, `...` raw.

export class GoStringError extends Error {
  constructor(text: string, pos: number, reason: string) {
    super(`invalid string at char ${pos + 1} of ${JSON.stringify(text)}: ${reason}`);
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  '"': '"',
  "'": "'",
};

/** Reads the quoted string starting at `pos`; returns its value and the position after it. */
export function parseGoString(text: string, pos: number): { value: string; end: number } {
  const quote = text[pos];
  if (quote !== '"' && quote !== "'" && quote !== "`") {
    throw new GoStringError(text, pos, "expected a quote");
  }
  if (quote === "`") {
    const close = text.indexOf("`", pos + 1);
    if (close < 0) throw new GoStringError(text, pos, "the raw string is not closed");
    return { value: text.slice(pos + 1, close), end: close + 1 };
  }
  let value = "";
  // Byte escapes (\x, octal) build UTF-8 bytes, decoded at the end of each run.
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length > 0) {
      value += new TextDecoder().decode(Uint8Array.from(bytes));
      bytes = [];
    }
  };
  let i = pos + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === quote) {
      flush();
      return { value, end: i + 1 };
    }
    if (c !== "\\") {
      flush();
      value += c;
      i++;
      continue;
    }
    const e = text[i + 1];
    if (e === undefined) break;
    if (e in SIMPLE_ESCAPES) {
      flush();
      value += SIMPLE_ESCAPES[e];
      i += 2;
    } else if (e === "x") {
      bytes.push(hexDigits(text, i + 2, 2));
      i += 4;
    } else if (e >= "0" && e <= "7") {
      const octal = text.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(octal)) throw new GoStringError(text, i, "bad octal escape");
      bytes.push(Number.parseInt(octal, 8));
      i += 4;
    } else if (e === "u" || e === "U") {
      flush();
      const n = e === "u" ? 4 : 8;
      value += String.fromCodePoint(hexDigits(text, i + 2, n));
      i += 2 + n;
    } else {
      throw new GoStringError(text, i, `unknown escape \\${e}`);
    }
  }
  throw new GoStringError(text, pos, "the string is not closed");
}

function hexDigits(text: string, at: number, n: number): number {
  const digits = text.slice(at, at + n);
  if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits)) {
    throw new GoStringError(text, at, `expected ${n} hex digits`);
  }
  return Number.parseInt(digits, 16);
}
