// Prometheus label matchers (=, !=, =~, !~) for the reverse index. A regex is
// fully anchored as Prometheus compiles it, `^(?s:` + value + `)$`, in RE2;
// an absent label has the value "".
import RE2 from "re2";
import { M3tsError } from "../x/index.js";
import { analyse, classEnd, fastTest, PUNCT } from "./regex-analysis.js";

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

function quoteLiteral(text: string): string {
  let out = "";
  for (const ch of text) out += PUNCT.test(ch) ? `\\${ch}` : ch;
  return out;
}

// --- Analysis: literal sets, prefixes and fast paths -----------------------
//
