// What a regex matcher can tell before testing values: the literal set it
// matches, when finite, and the literal prefix of every match, so the index
// looks terms up instead of testing each one; and exact fast tests for the
// common shapes (.*, .+, lit.*, .*lit, ...).
/** Literal sets larger than this are not enumerated (as in Prometheus). */
export const MAX_SET_MATCHES = 256;

/** The characters RE2 (and Go) accept escaped with a backslash as themselves. */
export const PUNCT = /^[!-/:-@[-`{-~]$/;

/**
 * The index just past the "]" closing the class that opens at `start`, or
 * -1. As RE2 parses: a "]" first (after an optional "^") is a member, `[:`
 * runs to the next `:]`, and a backslash escapes the next character
 * (`\p{..}` and `\x{..}` to their "}").
 */
export function classEnd(src: string, start: number): number {
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

// A small parser for the common subset of RE2 syntax: literals and escaped
// punctuation, ".", classes (as one opaque character), groups, "|", and the
// repetitions * + ? (greedy or lazy). Anything else (flags such as (?i),
// counted repetitions, other escapes) makes the analysis give up, which is
// always correct: no set, prefix "", and the RE2 regex decides. It runs only
// on patterns RE2 has already accepted.

export type Node =
  | { readonly k: "lit"; readonly s: string }
  | { readonly k: "any" } // "." under (?s): any one character, newline included
  | { readonly k: "char" } // one character from a class or \d, \w, \pL...
  | { readonly k: "begin" } // ^ or \A
  | { readonly k: "end" } // $ or \z
  | { readonly k: "assert" } // \b or \B
  | { readonly k: "cat"; readonly xs: readonly Node[] }
  | { readonly k: "alt"; readonly xs: readonly Node[] }
  | { readonly k: "rep"; readonly x: Node; readonly min: number; readonly max: number };

export interface Analysis {
  /** The pattern with the anchors redundant under full anchoring removed. */
  readonly top: readonly Node[];
  readonly prefix: string;
  readonly set: readonly string[] | null;
}

/** Thrown inside the parser for syntax it does not model. */
const UNSUPPORTED = new Error("unsupported regex syntax");

export function analyse(source: string): Analysis | null {
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
export function fastTest(top: readonly Node[]): ((value: string) => boolean) | null {
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
