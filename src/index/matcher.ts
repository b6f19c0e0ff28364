// Prometheus label matchers (=, !=, =~, !~) for the reverse index. A regex is
// fully anchored as Prometheus compiles it, `^(?s:` + value + `)$`, in RE2;
// an absent label has the value "".
import RE2 from "re2";
import { M3tsError } from "../x/index.js";

/** The four Prometheus match operators. */
export type MatchType = "=" | "!=" | "=~" | "!~";

/** Every match operator, in Prometheus's order. */
export const MATCH_TYPES: readonly MatchType[] = Object.freeze(["=", "!=", "=~", "!~"]);

/** A matcher that cannot be built: an invalid regex, an unknown operator or an empty label name. */
export class InvalidMatcherError extends M3tsError {
  /**
   * The label the matcher is for. (`name` itself stays the error class's
   * name, as on every Error, so stack traces and logs still say what failed.)
   */
  readonly labelName: string;
  /** The operator as given; not necessarily a valid MatchType. */
  readonly type: string;
  /** The value or pattern as given. */
  readonly value: string;
  /** Why it was rejected, e.g. "missing )". */
  readonly reason: string;

  constructor(labelName: string, type: string, value: string, reason: string) {
    const shown = value.length > 128 ? `${value.slice(0, 128)}…` : value;
    const what =
      type === "=~" || type === "!~"
        ? `invalid regex for label ${JSON.stringify(labelName)}: ${JSON.stringify(shown)}`
        : `invalid matcher ${JSON.stringify(labelName)}${type}${JSON.stringify(shown)}`;
    super("M3TS_ERR_INVALID_MATCHER", `${what}: ${reason}`);
    this.labelName = labelName;
    this.type = type;
    this.value = value;
    this.reason = reason;
  }
}

/** One label matcher; build with newMatcher. */
export interface Matcher {
  readonly name: string;
  readonly type: MatchType;
  readonly value: string;
  /** Whether a label value ("" for an absent label) satisfies the matcher. */
  matches(value: string): boolean;
  /** True when the empty value ("" = label absent) satisfies the matcher. */
  readonly matchesEmpty: boolean;
  /**
   * For = and =~ only: the exact set of values that can match when it is
   * finite and known (for "=": [value]; for =~ an alternation of literals
   * like "a|b|c" or "(?:GET|POST)"), else null. For != and !~: null.
   */
  readonly setMatches: readonly string[] | null;
  /**
   * For =~ (and the =~ inside !~): a literal prefix every value the regex
   * matches starts with ("" when none), e.g. "host-1" for "host-1.*", "" for
   * "(?i)abc". For "=" the value itself; for "!=" "". Used to narrow the
   * sorted term dictionary.
   */
  readonly prefix: string;
}

/** Builds a matcher; throws InvalidMatcherError for an invalid regex or an unknown type or an empty label name. */
export function newMatcher(type: MatchType, name: string, value: string): Matcher {
  if (!MATCH_TYPES.includes(type)) {
    throw new InvalidMatcherError(
      name,
      String(type),
      value,
      `unknown match type; use one of ${MATCH_TYPES.join(" ")}`,
    );
  }
  if (name === "") {
    throw new InvalidMatcherError(name, type, value, "the label name is empty");
  }
  switch (type) {
    case "=":
      return new LabelMatcher(name, type, value, (v) => v === value, Object.freeze([value]), value);
    case "!=":
      return new LabelMatcher(name, type, value, (v) => v !== value, null, "");
    case "=~": {
      const re = compileRegex(name, type, value);
      return new LabelMatcher(name, type, value, re.test, re.setMatches, re.prefix);
    }
    case "!~": {
      const re = compileRegex(name, type, value);
      const test = re.test;
      return new LabelMatcher(name, type, value, (v) => !test(v), null, re.prefix);
    }
  }
}

class LabelMatcher implements Matcher {
  readonly name: string;
  readonly type: MatchType;
  readonly value: string;
  // A field, not a method: each matcher gets the cheapest test its value
  // allows (string compare, Set lookup, startsWith, or RE2) chosen once here.
  readonly matches: (value: string) => boolean;
  readonly matchesEmpty: boolean;
  readonly setMatches: readonly string[] | null;
  readonly prefix: string;

  constructor(
    name: string,
    type: MatchType,
    value: string,
    matches: (value: string) => boolean,
    setMatches: readonly string[] | null,
    prefix: string,
  ) {
    this.name = name;
    this.type = type;
    this.value = value;
    this.matches = matches;
    this.matchesEmpty = matches("");
    this.setMatches = setMatches;
    this.prefix = prefix;
  }

  toString(): string {
    return `${this.name}${this.type}${JSON.stringify(this.value)}`;
  }
}

// --- Regex compilation ---------------------------------------------------

/** As Prometheus's maxSetMatches: a larger literal set is left to the regex. */
const MAX_SET_MATCHES = 256;

interface CompiledRegex {
  readonly test: (value: string) => boolean;
  readonly setMatches: readonly string[] | null;
  readonly prefix: string;
}

function compileRegex(name: string, type: MatchType, pattern: string): CompiledRegex {
  let source: string;
  let re: InstanceType<typeof RE2>;
  try {
    source = toRe2Source(pattern);
    // The pattern must be valid on its own: wrapped, an unbalanced ")" as in
    // "a)(b" would close our group and compile to something else.
    new RE2(source, "u");
    re = new RE2(`^(?s:${source})$`, "u");
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    throw new InvalidMatcherError(name, type, pattern, syntaxReason(err.message));
  }

  const analysed = analyse(source);
  const prefix = analysed === null ? "" : analysed.prefix;
  const setMatches = analysed === null ? null : analysed.set;
  const fast = analysed === null ? null : fastTest(analysed.top);
  let test: (value: string) => boolean;
  if (setMatches !== null) {
    if (setMatches.length === 1) {
      const only = setMatches[0];
      test = (v) => v === only;
    } else {
      const set = new Set(setMatches);
      test = (v) => set.has(v);
    }
  } else if (fast !== null) {
    test = fast;
  } else if (prefix !== "") {
    test = (v) => v.startsWith(prefix) && re.test(v);
  } else {
    test = (v) => re.test(v);
  }
  return { test, setMatches, prefix };
}

/** RE2 reports "missing ): <pattern>"; the pattern is already in our message. */
function syntaxReason(message: string): string {
  const colon = message.indexOf(": ");
  if (colon > 0 && message.startsWith("missing )")) return message.slice(0, colon);
  if (colon > 0 && message.startsWith("trailing \\")) return message.slice(0, colon);
  return message;
}

/**
 * Rewrites a Prometheus (Go RE2 syntax) pattern into a source the `re2`
 * package compiles to the same regex. That package first translates
 * JavaScript syntax, which Go's parser would not accept or would read
 * otherwise, so: `\Q...\E` quoting is expanded here into escaped literals (it
 * would rewrite a "/" or "\u" inside the quote), "(" inside a class is escaped
 * (it turns "(?<" into "(?P<" even there), and the JavaScript-only escapes
 * `\cX` and `\uXXXX` are rejected as Go rejects them, as is RE2 C++'s `\C`.
 * Throws SyntaxError.
 */
function toRe2Source(pattern: string): string {
  const n = pattern.length;
  let out = "";
  let i = 0;
  while (i < n) {
    const c = pattern[i];
    if (c === "\\") {
      if (i + 1 >= n) return out + c; // RE2 reports the trailing backslash
      const d = pattern[i + 1];
      if (d === "Q") {
        const end = pattern.indexOf("\\E", i + 2);
        out += quoteLiteral(end < 0 ? pattern.slice(i + 2) : pattern.slice(i + 2, end));
        i = end < 0 ? n : end + 2;
        continue;
      }
      rejectNonGoEscape(d);
      out += c + d;
      i += 2;
      continue;
    }
    if (c === "[") {
      const end = classEnd(pattern, i);
      if (end < 0) return out + pattern.slice(i); // RE2 reports the missing ]
      for (let j = i; j < end; j++) {
        const e = pattern[j];
        if (e === "\\" && j + 1 < end) {
          const d = pattern[j + 1];
          rejectNonGoEscape(d);
          out += e + d;
          j++;
        } else {
          out += e === "(" ? "\\(" : e;
        }
      }
      i = end;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** `\cX` and `\uXXXX` are JavaScript escapes, `\C` (one byte) an RE2 C++ one; Go has none. */
function rejectNonGoEscape(d: string): void {
  if (d === "c" || d === "u" || d === "C") throw new SyntaxError(`invalid escape sequence: \\${d}`);
}

/** The characters RE2 (and Go) accept escaped with a backslash as themselves. */
const PUNCT = /^[!-/:-@[-`{-~]$/;

function quoteLiteral(text: string): string {
  let out = "";
  for (const ch of text) out += PUNCT.test(ch) ? `\\${ch}` : ch;
  return out;
}

/**
 * The index just past the "]" closing the class that opens at `start`, or
 * -1. As RE2 parses: a "]" first (after an optional "^") is a member, `[:`
 * runs to the next `:]`, and a backslash escapes the next character
 * (`\p{..}` and `\x{..}` to their "}").
 */
function classEnd(src: string, start: number): number {
  const n = src.length;
  let j = start + 1;
  if (src[j] === "^") j++;
  if (src[j] === "]") j++;
  while (j < n) {
    const c = src[j];
    if (c === "]") return j + 1;
    if (c === "\\") {
      const d = src[j + 1];
      if ((d === "p" || d === "P" || d === "x") && src[j + 2] === "{") {
        const close = src.indexOf("}", j + 3);
        if (close < 0) return -1;
        j = close + 1;
      } else {
        j += 2;
      }
    } else if (c === "[" && src[j + 1] === ":") {
      const close = src.indexOf(":]", j + 2);
      j = close < 0 ? j + 1 : close + 2;
    } else {
      j++;
    }
  }
  return -1;
}

// --- Analysis: literal sets, prefixes and fast paths -----------------------
//
// A small parser for the common subset of RE2 syntax: literals and escaped
// punctuation, ".", classes (as one opaque character), groups, "|", and the
// repetitions * + ? (greedy or lazy). Anything else (flags such as (?i),
// counted repetitions, other escapes) makes the analysis give up, which is
// always correct: no set, prefix "", and the RE2 regex decides. It runs only
// on patterns RE2 has already accepted.

type Node =
  | { readonly k: "lit"; readonly s: string }
  | { readonly k: "any" } // "." under (?s): any one character, newline included
  | { readonly k: "char" } // one character from a class or \d, \w, \pL...
  | { readonly k: "begin" } // ^ or \A
  | { readonly k: "end" } // $ or \z
  | { readonly k: "assert" } // \b or \B
  | { readonly k: "cat"; readonly xs: readonly Node[] }
  | { readonly k: "alt"; readonly xs: readonly Node[] }
  | { readonly k: "rep"; readonly x: Node; readonly min: number; readonly max: number };

interface Analysis {
  /** The pattern with the anchors redundant under full anchoring removed. */
  readonly top: readonly Node[];
  readonly prefix: string;
  readonly set: readonly string[] | null;
}

/** Thrown inside the parser for syntax it does not model. */
const UNSUPPORTED = new Error("unsupported regex syntax");

function analyse(source: string): Analysis | null {
  let root: Node;
  try {
    const parser = new Parser(source);
    root = parser.parseAlt();
    if (parser.pos !== source.length) return null;
  } catch (err) {
    if (err === UNSUPPORTED) return null;
    throw err;
  }
  // Leading ^ and trailing $ of the whole pattern repeat our own anchors
  // ($ without (?m) matches only at the end of the text in RE2).
  const xs = root.k === "cat" ? root.xs : [root];
  let from = 0;
  let to = xs.length;
  while (from < to && xs[from].k === "begin") from++;
  while (to > from && xs[to - 1].k === "end") to--;
  const top = xs.slice(from, to);
  const cat: Node = { k: "cat", xs: top };
  return { top, prefix: prefixOf(cat), set: finalSet(setOf(cat)) };
}

function finalSet(set: Set<string> | null): readonly string[] | null {
  return set === null ? null : Object.freeze([...set]);
}

class Parser {
  readonly src: string;
  pos: number;

  constructor(src: string) {
    this.src = src;
    this.pos = 0;
  }

  parseAlt(): Node {
    const xs = [this.parseCat()];
    while (this.src[this.pos] === "|") {
      this.pos++;
      xs.push(this.parseCat());
    }
    return xs.length === 1 ? xs[0] : { k: "alt", xs };
  }

  private parseCat(): Node {
    const xs: Node[] = [];
    const src = this.src;
    while (this.pos < src.length && src[this.pos] !== "|" && src[this.pos] !== ")") {
      const x = this.parseRepeats(this.parseAtom());
      const last = xs.length > 0 ? xs[xs.length - 1] : undefined;
      if (x.k === "lit" && last !== undefined && last.k === "lit") {
        xs[xs.length - 1] = { k: "lit", s: last.s + x.s };
      } else {
        xs.push(x);
      }
    }
    return xs.length === 1 ? xs[0] : { k: "cat", xs };
  }

  private parseRepeats(atom: Node): Node {
    let x = atom;
    for (;;) {
      const c = this.src[this.pos];
      if (c === "{") throw UNSUPPORTED;
      if (c !== "*" && c !== "+" && c !== "?") return x;
      this.pos++;
      if (this.src[this.pos] === "?") this.pos++; // lazy: the same set of full matches
      x = { k: "rep", x, min: c === "+" ? 1 : 0, max: c === "?" ? 1 : Number.POSITIVE_INFINITY };
    }
  }

  private parseAtom(): Node {
    const src = this.src;
    const c = src[this.pos];
    switch (c) {
      case "(": {
        this.pos++;
        if (src[this.pos] === "?") {
          if (src.startsWith("?:", this.pos)) {
            this.pos += 2;
          } else if (src.startsWith("?P<", this.pos) || src.startsWith("?<", this.pos)) {
            const close = src.indexOf(">", this.pos);
            if (close < 0) throw UNSUPPORTED;
            this.pos = close + 1;
          } else {
            throw UNSUPPORTED; // flags such as (?i) or (?s:
          }
        }
        const inner = this.parseAlt();
        if (src[this.pos] !== ")") throw UNSUPPORTED;
        this.pos++;
        return inner;
      }
      case "[": {
        const end = classEnd(src, this.pos);
        if (end < 0) throw UNSUPPORTED;
        this.pos = end;
        return { k: "char" };
      }
      case ".":
        this.pos++;
        return { k: "any" };
      case "^":
        this.pos++;
        return { k: "begin" };
      case "$":
        this.pos++;
        return { k: "end" };
      case "\\":
        return this.parseEscape();
      case "*":
      case "+":
      case "?":
      case "{":
      case ")":
      case "|":
        throw UNSUPPORTED;
      default: {
        const cp = src.codePointAt(this.pos) as number;
        const s = String.fromCodePoint(cp);
        this.pos += s.length;
        return { k: "lit", s };
      }
    }
  }

  private parseEscape(): Node {
    const src = this.src;
    const d = src[this.pos + 1];
    if (d === undefined) throw UNSUPPORTED;
    this.pos += 2;
    if (PUNCT.test(d)) return { k: "lit", s: d };
    switch (d) {
      case "A":
        return { k: "begin" };
      case "z":
        return { k: "end" };
      case "b":
      case "B":
        return { k: "assert" };
      case "d":
      case "D":
      case "s":
      case "S":
      case "w":
      case "W":
        return { k: "char" };
      case "p":
      case "P":
        if (src[this.pos] === "{") {
          const close = src.indexOf("}", this.pos);
          if (close < 0) throw UNSUPPORTED;
          this.pos = close + 1;
        } else {
          this.pos++;
        }
        return { k: "char" };
      default:
        throw UNSUPPORTED; // \n, \x41, \123...: not worth modelling
    }
  }
}

/** The one string a node matches, or null when it matches none or several. */
function exactOf(x: Node): string | null {
  if (x.k === "lit") return x.s;
  if (x.k !== "cat") return null;
  let s = "";
  for (const y of x.xs) {
    const e = exactOf(y);
    if (e === null) return null;
    s += e;
  }
  return s;
}

/** A string every match of the node starts with. */
function prefixOf(x: Node): string {
  switch (x.k) {
    case "lit":
      return x.s;
    case "cat": {
      let s = "";
      for (const y of x.xs) {
        const e = exactOf(y);
        if (e === null) return s + prefixOf(y);
        s += e;
      }
      return s;
    }
    case "alt": {
      let common = prefixOf(x.xs[0]);
      for (let i = 1; i < x.xs.length && common !== ""; i++) {
        common = commonPrefix(common, prefixOf(x.xs[i]));
      }
      return common;
    }
    case "rep":
      return x.min >= 1 ? prefixOf(x.x) : "";
    default:
      return "";
  }
}

function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  // Do not split a surrogate pair: the prefix is compared with startsWith.
  if (i > 0 && i < a.length && isHighSurrogate(a.charCodeAt(i - 1))) i--;
  return a.slice(0, i);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** The finite set of strings a node matches, or null when unknown or above MAX_SET_MATCHES. */
function setOf(x: Node): Set<string> | null {
  switch (x.k) {
    case "lit":
      return new Set([x.s]);
    case "cat": {
      let acc = new Set([""]);
      for (const y of x.xs) {
        const ys = setOf(y);
        if (ys === null || acc.size * ys.size > MAX_SET_MATCHES) return null;
        const next = new Set<string>();
        for (const a of acc) for (const b of ys) next.add(a + b);
        acc = next;
      }
      return acc;
    }
    case "alt": {
      const acc = new Set<string>();
      for (const y of x.xs) {
        const ys = setOf(y);
        if (ys === null) return null;
        for (const s of ys) acc.add(s);
        if (acc.size > MAX_SET_MATCHES) return null;
      }
      return acc;
    }
    case "rep": {
      if (x.min !== 0 || x.max !== 1) return null;
      const ys = setOf(x.x);
      if (ys === null || ys.size + 1 > MAX_SET_MATCHES) return null;
      ys.add("");
      return ys;
    }
    default:
      return null;
  }
}

function isAnyStar(x: Node): boolean {
  return x.k === "rep" && x.x.k === "any" && x.min === 0 && x.max === Number.POSITIVE_INFINITY;
}

/**
 * A test without RE2 for shapes whose meaning under `^(?s:...)$` is plain:
 * ".*" (anything), ".+" (not empty), "lit.*", ".*lit", ".*lit.*",
 * "lit.*lit". Null for any other shape.
 */
function fastTest(top: readonly Node[]): ((value: string) => boolean) | null {
  if (top.length === 1) {
    const x = top[0];
    if (isAnyStar(x)) return () => true;
    if (x.k === "rep" && x.x.k === "any" && x.min === 1 && x.max === Number.POSITIVE_INFINITY) {
      return (v) => v.length > 0; // "." is one code point and every non-empty string has one
    }
    return null;
  }
  if (top.length === 2) {
    const [a, b] = top;
    if (a.k === "lit" && isAnyStar(b)) {
      const p = a.s;
      return (v) => v.startsWith(p);
    }
    if (isAnyStar(a) && b.k === "lit") {
      const s = b.s;
      return (v) => v.endsWith(s);
    }
    return null;
  }
  if (top.length === 3) {
    const [a, b, c] = top;
    if (isAnyStar(a) && b.k === "lit" && isAnyStar(c)) {
      const s = b.s;
      return (v) => v.includes(s);
    }
    if (a.k === "lit" && isAnyStar(b) && c.k === "lit") {
      const p = a.s;
      const s = c.s;
      const minLength = p.length + s.length;
      return (v) => v.length >= minLength && v.startsWith(p) && v.endsWith(s);
    }
  }
  return null;
}
