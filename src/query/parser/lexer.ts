// A scanner that follows Prometheus's PromQL lexer closely enough to give its
// error texts: lezer-promql tells us where the syntax breaks, this scanner
// names the token found there ("unexpected <op:*>") and catches the lexical
// errors (bad numbers, unterminated strings, unbalanced brackets) first.

export type TokenKind =
  | "eof"
  | "identifier"
  | "metricIdentifier"
  | "number"
  | "duration"
  | "string"
  | "operator"
  | "aggregator"
  | "keyword"
  | "preprocessor"
  | "punct";

export interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
}

export interface LexError {
  pos: number;
  message: string;
}

export interface LexResult {
  tokens: Token[];
  error: LexError | null;
}

const OPERATOR_WORDS = new Set(["and", "or", "unless", "atan2"]);
const AGGREGATOR_WORDS = new Set([
  "sum",
  "avg",
  "count",
  "min",
  "max",
  "group",
  "stddev",
  "stdvar",
  "topk",
  "bottomk",
  "count_values",
  "quantile",
  "limitk",
  "limit_ratio",
]);
const KEYWORD_WORDS = new Set([
  "offset",
  "smoothed",
  "anchored",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "fill",
  "fill_left",
  "fill_right",
  "bool",
]);
const PREPROCESSOR_WORDS = new Set(["start", "end", "step", "range", "max_of", "min_of"]);
const DURATION_KEYWORDS = new Set(["step", "range", "max_of", "min_of"]);

/** Prometheus's description of a token in "unexpected ..." messages. */
export function describeToken(t: Token): string {
  switch (t.kind) {
    case "eof":
      return "end of input";
    case "identifier":
      return `identifier ${goQuote(t.text)}`;
    case "metricIdentifier":
      return `metric identifier ${goQuote(t.text)}`;
    case "number":
      return `number ${quoteTruncated(t.text)}`;
    case "duration":
      return `duration ${quoteTruncated(t.text)}`;
    case "string":
      return `string ${quoteTruncated(t.text)}`;
    case "operator":
      return `<op:${t.text}>`;
    case "aggregator":
      return `<aggr:${t.text}>`;
    case "keyword":
      return `<${t.text}>`;
    default:
      return quoteTruncated(t.text);
  }
}

function quoteTruncated(s: string): string {
  // Go's %.10q quotes the first ten characters and the caller adds "...".
  const chars = Array.from(s);
  if (chars.length > 10) return `${goQuote(chars.slice(0, 10).join(""))}...`;
  return goQuote(s);
}

/** Go's %q of a string (strconv.Quote) for the printable ASCII and common escapes. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (c === 7) out += "\\a";
    else if (c === 8) out += "\\b";
    else if (c === 12) out += "\\f";
    else if (c === 11) out += "\\v";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else if (c === 0xfffd && ch !== "\ufffd") out += "\\ufffd";
    else out += ch;
  }
  return `${out}"`;
}

/** Go's %q of a rune: 'x'. */
export function goQuoteRune(ch: string): string {
  if (ch === "'") return "'\\''";
  if (ch === "\\") return "'\\\\'";
  const q = goQuote(ch);
  return `'${q.slice(1, -1).replace(/\\"/g, '"')}'`;
}

const isDigit = (c: string): boolean => c >= "0" && c <= "9";
const isAlpha = (c: string): boolean =>
  c === "_" || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
const isSpace = (c: string): boolean =>
  c === " " || c === "\t" || c === "\n" || c === "\r";

/** Scans the whole query; stops at the first lexical error. */
export function lex(input: string): LexResult {
  const tokens: Token[] = [];
  let pos = 0;
  let parenDepth = 0;
  let braceOpen = false;
  let bracketOpen = false;
  let gotColon = false;
  let gotDuration = false;
  const fail = (at: number, message: string): LexResult => ({
    tokens,
    error: { pos: at, message },
  });
  const push = (kind: TokenKind, start: number, end: number): void => {
    tokens.push({ kind, text: input.slice(start, end), pos: start });
  };

  while (true) {
    const start = pos;
    if (pos >= input.length) {
      if (braceOpen) return fail(start, "unexpected end of input inside braces");
      if (bracketOpen) return fail(start, "unexpected end of input in duration expression");
      if (parenDepth !== 0) return fail(start, "unclosed left parenthesis");
      tokens.push({ kind: "eof", text: "", pos: start });
      return { tokens, error: null };
    }
    const r = input[pos] as string;
    if (r === "#" && !bracketOpen) {
      while (pos < input.length && input[pos] !== "\n" && input[pos] !== "\r") pos++;
      continue;
    }
    if (isSpace(r)) {
      pos++;
      continue;
    }
    if (r === '"' || r === "'" || r === "`") {
      const end = scanString(input, pos);
      if (typeof end !== "number") return fail(start, end.message);
      push("string", start, end);
      pos = end;
      continue;
    }
    if (braceOpen) {
      pos++;
      if (isAlpha(r)) {
        while (pos < input.length && (isAlpha(input[pos] as string) || isDigit(input[pos] as string)))
          pos++;
        push("identifier", start, pos);
      } else if (r === ",") push("punct", start, pos);
      else if (r === "=") {
        if (input[pos] === "~") pos++;
        push("operator", start, pos);
      } else if (r === "!") {
        const nr = input[pos] ?? "";
        if (nr !== "~" && nr !== "=")
          return fail(start, `unexpected character after '!' inside braces: ${runeQ(nr)}`);
        pos++;
        push("operator", start, pos);
      } else if (r === "{") return fail(start, `unexpected left brace ${goQuoteRune(r)}`);
      else if (r === "}") {
        push("punct", start, pos);
        braceOpen = false;
      } else return fail(start, `unexpected character inside braces: ${runeQ(codePointAt(input, start))}`);
      continue;
    }
    if (bracketOpen) {
      // Inside [...]: durations, duration arithmetic and the duration functions.
      pos++;
      if (r === "]") {
        push("punct", start, pos);
        bracketOpen = false;
        gotColon = false;
      } else if (r === ":") {
        push("punct", start, pos);
        if (!gotDuration) return fail(start, "unexpected colon before duration in duration expression");
        if (gotColon) return fail(start, "unexpected repeated colon in duration expression");
        gotColon = true;
      } else if (r === "(") {
        push("punct", start, pos);
        parenDepth++;
      } else if (r === ")") {
        push("punct", start, pos);
        parenDepth--;
        if (parenDepth < 0) return fail(start, "unexpected right parenthesis ')'");
      } else if ("+-*/%^".includes(r)) push("operator", start, pos);
      else if (r === ",") push("punct", start, pos);
      else if (isDigit(r) || (r === "." && isDigit(input[pos] ?? ""))) {
        gotDuration = true;
        const end = scanNumberOrDuration(input, start);
        if (end.error) return fail(start, end.error);
        push(end.kind, start, end.end);
        pos = end.end;
      } else if (isAlpha(r)) {
        while (pos < input.length && isAlpha(input[pos] as string)) pos++;
        const word = input.slice(start, pos).toLowerCase();
        if (DURATION_KEYWORDS.has(word)) push("preprocessor", start, pos);
        else if (gotDuration && !gotColon) {
          return fail(start, `unexpected character: ${runeQ(r)}, expected ':'`);
        } else return fail(start, `unexpected character in duration expression: ${runeQ(r)}`);
      } else return fail(start, `unexpected character in duration expression: ${runeQ(codePointAt(input, start))}`);
      continue;
    }
    pos++;
    switch (r) {
      case ",":
      case "@":
        push(r === "@" ? "operator" : "punct", start, pos);
        continue;
      case "*":
      case "/":
      case "%":
      case "+":
      case "-":
      case "^":
        push("operator", start, pos);
        continue;
      case "=":
        if (input[pos] === "=") pos++;
        else if (input[pos] === "~") return fail(start, "unexpected character after '=': '~'");
        push(pos - start === 2 ? "operator" : "punct", start, pos);
        continue;
      case "!":
        if (input[pos] !== "=")
          return fail(start, `unexpected character after '!': ${runeQ(input[pos] ?? "")}`);
        pos++;
        push("operator", start, pos);
        continue;
      case "<":
      case ">":
        if (input[pos] === "=" || input[pos] === "/") pos++;
        push("operator", start, pos);
        continue;
      case "(":
        parenDepth++;
        push("punct", start, pos);
        continue;
      case ")":
        push("punct", start, pos);
        parenDepth--;
        if (parenDepth < 0) return fail(start, "unexpected right parenthesis ')'");
        continue;
      case "{":
        push("punct", start, pos);
        braceOpen = true;
        continue;
      case "[":
        push("punct", start, pos);
        gotColon = false;
        gotDuration = false;
        bracketOpen = true;
        continue;
      case "]":
        return fail(start, "unexpected right bracket ']'");
    }
    if (isDigit(r) || (r === "." && isDigit(input[pos] ?? ""))) {
      const end = scanNumberOrDuration(input, start);
      if (end.error) return fail(start, end.error);
      push(end.kind, start, end.end);
      pos = end.end;
      continue;
    }
    if (isAlpha(r) || r === ":") {
      while (pos < input.length) {
        const c = input[pos] as string;
        if (!(isAlpha(c) || isDigit(c) || c === ":")) break;
        pos++;
      }
      const text = input.slice(start, pos);
      const word = text.toLowerCase();
      let kind: TokenKind = text.includes(":") ? "metricIdentifier" : "identifier";
      if (word === "inf" || word === "nan") kind = "number";
      else if (OPERATOR_WORDS.has(word)) kind = "operator";
      else if (AGGREGATOR_WORDS.has(word)) kind = "aggregator";
      else if (KEYWORD_WORDS.has(word)) kind = "keyword";
      else if (PREPROCESSOR_WORDS.has(word)) kind = "preprocessor";
      push(kind, start, pos);
      continue;
    }
    return fail(start, `unexpected character: ${runeQ(codePointAt(input, start))}`);
  }
}

function codePointAt(s: string, i: number): string {
  return String.fromCodePoint(s.codePointAt(i) as number);
}

function runeQ(ch: string): string {
  return ch === "" ? "U+FFFFFFFF" : goQuoteRune(ch);
}

function scanString(input: string, start: number): number | { message: string } {
  const quote = input[start] as string;
  let pos = start + 1;
  if (quote === "`") {
    while (pos < input.length && input[pos] !== "`") pos++;
    if (pos >= input.length) return { message: "unterminated raw string" };
    return pos + 1;
  }
  while (pos < input.length) {
    const c = input[pos] as string;
    if (c === "\\") {
      pos += 2;
      continue;
    }
    if (c === "\n") return { message: "unterminated quoted string" };
    if (c === quote) return pos + 1;
    pos++;
  }
  if (input[input.length - 1] === "\\" && pos > input.length)
    return { message: "escape sequence not terminated" };
  return { message: "unterminated quoted string" };
}

interface NumberScan {
  kind: "number" | "duration";
  end: number;
  error: string | null;
}

const DURATION_UNITS = ["ms", "s", "m", "h", "d", "w", "y"];

function scanNumberOrDuration(input: string, start: number): NumberScan {
  let pos = start;
  const at = (i: number): string => input[i] ?? "";
  let digits = "0123456789_";
  if (at(pos) === "0" && (at(pos + 1) === "x" || at(pos + 1) === "X")) {
    pos += 2;
    digits = "0123456789abcdefABCDEF_";
  }
  while (digits.includes(at(pos)) && at(pos) !== "") pos++;
  let isNumber = true;
  if (digits.length === 11) {
    if (at(pos) === ".") {
      pos++;
      while (digits.includes(at(pos)) && at(pos) !== "") pos++;
    }
    if (at(pos) === "e" || at(pos) === "E") {
      const save = pos;
      pos++;
      if (at(pos) === "+" || at(pos) === "-") pos++;
      if (isDigit(at(pos))) {
        while (isDigit(at(pos)) || at(pos) === "_") pos++;
      } else pos = save;
    }
  }
  const next = at(pos);
  if (isAlpha(next) || isDigit(next) || next === ".") isNumber = false;
  if (isNumber) return { kind: "number", end: pos, error: null };
  // A duration: digits and units, each unit once, largest first.
  pos = start;
  let sawUnit = false;
  while (isDigit(at(pos))) {
    while (isDigit(at(pos))) pos++;
    let unit = "";
    for (const u of DURATION_UNITS) {
      if (input.startsWith(u, pos) && u.length > unit.length) unit = u;
    }
    if (unit === "") break;
    pos += unit.length;
    sawUnit = true;
  }
  const after = at(pos);
  if (sawUnit && !(isAlpha(after) || isDigit(after) || after === ".")) {
    return { kind: "duration", end: pos, error: null };
  }
  let end = pos;
  // Prometheus reports the text up to and including the first offending character.
  if (end < input.length) end++;
  if (!sawUnit) {
    end = start;
    while (end < input.length && (isAlpha(at(end)) || isDigit(at(end)) || at(end) === "." || at(end) === "_")) {
      end++;
      if (!(isDigit(at(end - 1)) || at(end - 1) === "." || at(end - 1) === "_")) break;
    }
  }
  return { kind: "number", end, error: `bad number or duration syntax: ${goQuote(input.slice(start, end))}` };
}
