// A scanner that follows Prometheus's PromQL lexer closely enough to give its
// error texts: lezer-promql tells us where the syntax breaks, this scanner
// names the token found there ("unexpected <op:*>") and catches the lexical
// errors (bad numbers, unterminated strings, unbalanced brackets) first.

import { goQuote } from "../go-format.js";

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
const isSpace = (c: string): boolean => c === " " || c === "\t" || c === "\n" || c === "\r";

/** Scans the whole query; stops at the first lexical error. */
export function lex(input: string): LexResult {
  const tokens: Token[] = [];
  let pos = 0;
  let parenDepth = 0;
  let braceOpen = false;
  let bracketOpen = false;
  // Right after "[" Prometheus scans in its duration-expression state; after
  // the first number it goes back to the statement state, the bracket still open.
  let durationState = false;
  let gotColon = false;
  let gotDuration = false;
  const fail = (at: number, message: string): LexResult => ({
    tokens,
    error: { pos: at, message },
  });
  const push = (kind: TokenKind, start: number, end: number): void => {
    tokens.push({ kind, text: input.slice(start, end), pos: start });
  };
  const at = (i: number): string => input[i] ?? "";

  while (true) {
    const start = pos;
    const r = at(pos);
    if (braceOpen) {
      if (r === "#") {
        pos = skipComment(input, pos);
        continue;
      }
      if (r === "") return fail(start, "unexpected end of input inside braces");
      pos++;
      if (isSpace(r)) continue;
      if (isAlpha(r)) {
        while (isAlpha(at(pos)) || isDigit(at(pos))) pos++;
        push("identifier", start, pos);
      } else if (r === ",") push("punct", start, pos);
      else if (r === '"' || r === "'" || r === "`") {
        const end = scanString(input, start);
        if (typeof end !== "number") return fail(start, end.message);
        push("string", start, end);
        pos = end;
      } else if (r === "=") {
        if (at(pos) === "~") {
          pos++;
          push("operator", start, pos);
        } else push("punct", start, pos);
      } else if (r === "!") {
        const nr = at(pos);
        if (nr !== "~" && nr !== "=")
          return fail(start, `unexpected character after '!' inside braces: ${runeQ(nr)}`);
        pos++;
        push("operator", start, pos);
      } else if (r === "{") return fail(start, "unexpected left brace '{'");
      else if (r === "}") {
        push("punct", start, pos);
        braceOpen = false;
      } else
        return fail(
          start,
          `unexpected character inside braces: ${runeQ(codePointAt(input, start))}`,
        );
      continue;
    }
    if (durationState) {
      if (r === "") return fail(start, "unexpected end of input in duration expression");
      pos++;
      if (isSpace(r)) continue;
      if (r === "]") {
        push("punct", start, pos);
        bracketOpen = false;
        durationState = false;
        gotColon = false;
      } else if (r === ":") {
        // Prometheus reports these after the colon, which never reaches its parser.
        if (!gotDuration)
          return fail(pos, "unexpected colon before duration in duration expression");
        if (gotColon) return fail(pos, "unexpected repeated colon in duration expression");
        push("punct", start, pos);
        gotColon = true;
      } else if (r === "(") {
        push("punct", start, pos);
        parenDepth++;
      } else if (r === ")") {
        parenDepth--;
        if (parenDepth < 0) return fail(pos, "unexpected right parenthesis ')'");
        push("punct", start, pos);
      } else if ("+-*/%^".includes(r)) push("operator", start, pos);
      else if (r === ",") push("punct", start, pos);
      else if (isDigit(r) || (r === "." && isDigit(at(pos)))) {
        gotDuration = true;
        const scan = scanNumberOrDuration(input, start);
        if (scan.error !== null) return fail(start, scan.error);
        push(scan.kind, start, scan.end);
        pos = scan.end;
        durationState = false;
      } else if (isDurationKeywordStart(r)) {
        const end = scanDurationKeyword(input, start);
        if (end < 0) return fail(start, `unexpected character in duration expression: ${runeQ(r)}`);
        push("preprocessor", start, end);
        pos = end;
      } else
        return fail(
          start,
          `unexpected character in duration expression: ${runeQ(codePointAt(input, start))}`,
        );
      continue;
    }
    if (r === "#") {
      pos = skipComment(input, pos);
      continue;
    }
    if (r === "") {
      if (parenDepth !== 0) return fail(start, "unclosed left parenthesis");
      if (bracketOpen) return fail(start, "unclosed left bracket");
      tokens.push({ kind: "eof", text: "", pos: start });
      return { tokens, error: null };
    }
    pos++;
    if (isSpace(r)) continue;
    switch (r) {
      case ",":
        push("punct", start, pos);
        continue;
      case "@":
      case "*":
      case "/":
      case "%":
      case "+":
      case "-":
      case "^":
        push("operator", start, pos);
        continue;
      case "=":
        if (at(pos) === "=") {
          pos++;
          push("operator", start, pos);
        } else if (at(pos) === "~") return fail(start, "unexpected character after '=': '~'");
        else push("punct", start, pos);
        continue;
      case "!":
        if (at(pos) !== "=")
          return fail(start, `unexpected character after '!': ${runeQ(at(pos))}`);
        pos++;
        push("operator", start, pos);
        continue;
      case "<":
      case ">":
        if (at(pos) === "=" || at(pos) === "/") pos++;
        push("operator", start, pos);
        continue;
      case "(":
        parenDepth++;
        push("punct", start, pos);
        continue;
      case ")":
        parenDepth--;
        if (parenDepth < 0) return fail(pos, "unexpected right parenthesis ')'");
        push("punct", start, pos);
        continue;
      case "{":
        push("punct", start, pos);
        braceOpen = true;
        continue;
      case "[":
        if (bracketOpen) return fail(start, "unexpected left bracket '['");
        push("punct", start, pos);
        gotColon = false;
        gotDuration = false;
        bracketOpen = true;
        durationState = true;
        continue;
      case "]":
        if (!bracketOpen) return fail(start, "unexpected right bracket ']'");
        push("punct", start, pos);
        bracketOpen = false;
        continue;
      case '"':
      case "'":
      case "`": {
        const end = scanString(input, start);
        if (typeof end !== "number") return fail(start, end.message);
        push("string", start, end);
        pos = end;
        continue;
      }
    }
    if (isDigit(r) || (r === "." && isDigit(at(pos)))) {
      const scan = scanNumberOrDuration(input, start);
      if (scan.error !== null) return fail(start, scan.error);
      push(scan.kind, start, scan.end);
      pos = scan.end;
      continue;
    }
    if (bracketOpen && (isAlpha(r) || r === ":")) {
      if (r === ":") {
        if (gotColon) return fail(start, "unexpected colon ':'");
        push("punct", start, pos);
        gotColon = true;
        continue;
      }
      if (isDurationKeywordStart(r)) {
        const end = scanDurationKeyword(input, start);
        if (end >= 0) {
          push("preprocessor", start, end);
          pos = end;
          continue;
        }
      }
      return fail(start, `unexpected character: ${runeQ(r)}, expected ':'`);
    }
    if (isAlpha(r) || r === ":") {
      while (isAlpha(at(pos)) || isDigit(at(pos)) || at(pos) === ":") pos++;
      const text = input.slice(start, pos);
      const word = text.toLowerCase();
      let kind: TokenKind = text.includes(":") ? "metricIdentifier" : "identifier";
      if (word === "inf" || word === "nan") kind = "number";
      else if (OPERATOR_WORDS.has(word)) kind = "operator";
      else if (AGGREGATOR_WORDS.has(word)) kind = "aggregator";
      else if (KEYWORD_WORDS.has(word)) {
        // fill, fill_left and fill_right are keywords only before "(".
        kind = word.startsWith("fill") && !followedByParen(input, pos) ? "identifier" : "keyword";
      } else if (PREPROCESSOR_WORDS.has(word)) kind = "preprocessor";
      push(kind, start, pos);
      continue;
    }
    return fail(start, `unexpected character: ${runeQ(codePointAt(input, start))}`);
  }
}

function followedByParen(input: string, pos: number): boolean {
  let p = pos;
  while (p < input.length && isSpace(input[p] as string)) p++;
  return input[p] === "(";
}

function skipComment(input: string, pos: number): number {
  let p = pos;
  while (p < input.length && input[p] !== "\n" && input[p] !== "\r") p++;
  return p;
}

function isDurationKeywordStart(r: string): boolean {
  const c = r.toLowerCase();
  return c === "s" || c === "r" || c === "m";
}

/** The end of step, range, min_of or max_of (any case) at start, or -1. */
function scanDurationKeyword(input: string, start: number): number {
  let p = start;
  while (p < input.length && isAlpha(input[p] as string)) p++;
  return DURATION_KEYWORDS.has(input.slice(start, p).toLowerCase()) ? p : -1;
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
      if (pos + 1 >= input.length) return { message: "escape sequence not terminated" };
      pos += 2;
      continue;
    }
    if (c === "\n") return { message: "unterminated quoted string" };
    if (c === quote) return pos + 1;
    pos++;
  }
  return { message: "unterminated quoted string" };
}

interface NumberScan {
  kind: "number" | "duration";
  end: number;
  error: string | null;
}

const isAlphaNumeric = (c: string): boolean => isAlpha(c) || isDigit(c);

/** Prometheus's number-then-duration scan: where it stops decides the "bad number" text. */
function scanNumberOrDuration(input: string, start: number): NumberScan {
  let pos = start;
  const peek = (): string => input[pos] ?? "";
  const accept = (set: string): boolean => {
    const c = peek();
    if (c !== "" && set.includes(c)) {
      pos++;
      return true;
    }
    return false;
  };
  const is = (set: string): boolean => peek() !== "" && set.includes(peek());

  const scanNumber = (): boolean => {
    let digits = "0123456789";
    if (accept("0") && accept("xX")) {
      accept("_");
      digits = "0123456789abcdefABCDEF";
    }
    accept(".");
    accept(digits);
    let dot = false;
    let exp = false;
    while (is(`${digits}._eE`)) {
      if (is(".") && dot) {
        accept(".");
        return false;
      }
      if (is("eE") && exp && digits.length === 10) {
        accept("eE");
        return false;
      }
      if (accept(".")) {
        dot = true;
        if (accept("_.")) return false;
        if (digits.length > 10) return false;
        continue;
      }
      if (digits.length === 10 && accept("eE")) {
        exp = true;
        accept("+-");
        if (accept("._eE") || peek() === "") return false;
        continue;
      }
      if (accept("_")) {
        if (accept("._eE") || peek() === "") return false;
        continue;
      }
      while (accept(digits)) {}
    }
    if (pos === start) return false;
    return !isAlphaNumeric(peek());
  };

  if (scanNumber()) return { kind: "number", end: pos, error: null };
  const remainingDuration = (): boolean => {
    if (!accept("smhdwy")) return false;
    accept("s");
    while (accept("0123456789")) {
      while (accept("0123456789")) {}
      if (!accept("smhdw")) return false;
      accept("s");
    }
    const next = peek();
    if (next !== "") pos++;
    if (isAlphaNumeric(next)) return false;
    if (next !== "") pos--;
    return true;
  };
  if (remainingDuration()) return { kind: "duration", end: pos, error: null };
  return {
    kind: "number",
    end: pos,
    error: `bad number or duration syntax: ${goQuote(input.slice(start, pos))}`,
  };
}
