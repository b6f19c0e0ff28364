// Label matchers: Prometheus's semantics for =, !=, =~ and !~, and the literal
// sets and prefixes the index narrows its term scans with.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import RE2 from "re2";
import { M3tsError } from "../x/index.js";
import { InvalidMatcherError, MATCH_TYPES, type MatchType, newMatcher } from "./matcher.js";

/** The values `m` accepts among `values`. */
function accepted(type: MatchType, pattern: string, values: readonly string[]): string[] {
  const m = newMatcher(type, "l", pattern);
  return values.filter((v) => m.matches(v));
}

function sorted(xs: readonly string[] | null): string[] | null {
  return xs === null ? null : [...xs].sort();
}

test("MATCH_TYPES lists the four operators", () => {
  assert.deepEqual(MATCH_TYPES, ["=", "!=", "=~", "!~"]);
});

test('"=" matches the value exactly; label="" matches only the absent label', () => {
  const m = newMatcher("=", "job", "api");
  assert.equal(m.name, "job");
  assert.equal(m.type, "=");
  assert.equal(m.value, "api");
  assert.deepEqual(accepted("=", "api", ["api", "API", "api ", "ap", ""]), ["api"]);
  assert.equal(m.matchesEmpty, false);
  assert.deepEqual(m.setMatches, ["api"]);
  assert.equal(m.prefix, "api");

  const empty = newMatcher("=", "job", "");
  assert.equal(empty.matchesEmpty, true);
  assert.equal(empty.matches("api"), false);
  assert.deepEqual(empty.setMatches, [""]);
});

test('"!=" is the negation of "="; label!="" matches every present label', () => {
  const m = newMatcher("!=", "job", "api");
  assert.deepEqual(accepted("!=", "api", ["api", "API", "", "x"]), ["API", "", "x"]);
  assert.equal(m.matchesEmpty, true);
  assert.equal(m.setMatches, null);
  assert.equal(m.prefix, "");

  const present = newMatcher("!=", "job", "");
  assert.equal(present.matchesEmpty, false);
  assert.equal(present.matches("a"), true);
  assert.equal(present.setMatches, null);
});

test('"=~" is anchored at both ends', () => {
  assert.deepEqual(accepted("=~", "a", ["a", "ba", "ab", "bab", ""]), ["a"]);
  assert.deepEqual(accepted("=~", "a.", ["ab", "xab", "abc", "a"]), ["ab"]);
  assert.deepEqual(accepted("=~", "b|a+", ["b", "aaa", "ab", "ba", "bb"]), ["b", "aaa"]);
  // Explicit anchors are redundant but harmless.
  assert.deepEqual(accepted("=~", "^a$", ["a", "ba", "ab", ""]), ["a"]);
  assert.deepEqual(accepted("=~", "^a.*$", ["a", "abc", "ba"]), ["a", "abc"]);
  assert.equal(newMatcher("=~", "l", "^a.*$").prefix, "a");
  // An anchor in the middle can never be satisfied.
  assert.deepEqual(accepted("=~", "a^b", ["ab", "a^b", "a\nb"]), []);
});

test('"!~" is the negation of "=~" over the value, "" when absent', () => {
  const values = ["a", "ba", "ab", "", "b"];
  for (const p of ["a", "a|b", ".*", ".+", "", "[ab]*", "(?i)A"]) {
    const pos = newMatcher("=~", "l", p);
    const neg = newMatcher("!~", "l", p);
    for (const v of values)
      assert.equal(neg.matches(v), !pos.matches(v), `${p} on ${JSON.stringify(v)}`);
    assert.equal(neg.matchesEmpty, !pos.matchesEmpty, p);
    assert.equal(neg.setMatches, null, p);
    assert.equal(neg.prefix, pos.prefix, p);
  }
});

test('".*", ".+" and "" on the empty value (the absent label)', () => {
  const all = newMatcher("=~", "l", ".*");
  assert.equal(all.matchesEmpty, true);
  assert.equal(all.matches(""), true);
  assert.equal(all.matches("x\ny"), true);
  assert.equal(all.setMatches, null);
  assert.equal(all.prefix, "");

  const some = newMatcher("=~", "l", ".+");
  assert.equal(some.matchesEmpty, false);
  assert.equal(some.matches("x"), true);
  assert.equal(some.matches("\n"), true);

  const none = newMatcher("!~", "l", ".*");
  assert.equal(none.matchesEmpty, false);
  assert.deepEqual(accepted("!~", ".*", ["", "a", "\n", "😀"]), []);

  const onlyEmpty = newMatcher("=~", "l", "");
  assert.equal(onlyEmpty.matchesEmpty, true);
  assert.equal(onlyEmpty.matches("a"), false);
  assert.deepEqual(onlyEmpty.setMatches, [""]);

  assert.equal(newMatcher("!~", "l", "").matchesEmpty, false);
  assert.equal(newMatcher("!~", "l", ".+").matchesEmpty, true);
});

test("alternations of literals give their exact set of values", () => {
  const cases: [string, string[] | null][] = [
    ["(a|b)", ["a", "b"]],
    ["a|b|c", ["a", "b", "c"]],
    ["(?:GET|POST)", ["GET", "POST"]],
    ["foo(bar|baz)", ["foobar", "foobaz"]],
    ["(a|b)(c|d)", ["ac", "ad", "bc", "bd"]],
    ["a|", ["", "a"]],
    ["ab?", ["a", "ab"]],
    ["^(?P<m>GET|PUT)$", ["GET", "PUT"]],
    ["a\\.b|c\\|d", ["a.b", "c|d"]],
    ["a|a", ["a"]],
    ["a.|b", null],
    ["a+|b", null],
    ["[ab]", null],
    ["(?i)a|b", null],
    ["a{2}", null],
  ];
  for (const [p, want] of cases) {
    const m = newMatcher("=~", "l", p);
    assert.deepEqual(sorted(m.setMatches), want, p);
    if (want !== null) {
      for (const v of want) assert.equal(m.matches(v), true, `${p} on ${v}`);
      assert.equal(m.matches("ab|c"), want.includes("ab|c"), p);
    }
  }
  assert.deepEqual(accepted("=~", "a|b|c", ["a", "b", "c", "ab", "a|b", ""]), ["a", "b", "c"]);
});

test("a literal set larger than 256 values is left to the regex", () => {
  const values = Array.from({ length: 300 }, (_, i) => `v${i}`);
  const m = newMatcher("=~", "l", values.join("|"));
  assert.equal(m.setMatches, null);
  assert.equal(m.prefix, "v");
  assert.equal(m.matches("v299"), true);
  assert.equal(m.matches("v300"), false);
  const small = newMatcher("=~", "l", values.slice(0, 256).join("|"));
  assert.equal(small.setMatches?.length, 256);
});

test("prefixes: the literal start every match shares", () => {
  const cases: [string, string][] = [
    ["host-1.*", "host-1"],
    ["host-[0-9]+", "host-"],
    ["foo\\.bar.*", "foo.bar"],
    ["api-(eu|us)-.*", "api-"],
    ["(abc|abd).*", "ab"],
    ["a|ab", "a"],
    ["(ab)+c", "ab"],
    ["a*b", ""],
    ["(?i)abc", ""],
    ["abc(?i)def", ""],
    [".*abc", ""],
    ["\\d+", ""],
    ["x\\d", "x"],
    ["\\Qa.b\\E.*", "a.b"],
  ];
  for (const [p, want] of cases) assert.equal(newMatcher("=~", "l", p).prefix, want, p);
});

test('case-insensitive "(?i)" matches any case and gives no prefix or set', () => {
  const m = newMatcher("=~", "l", "(?i)abc");
  assert.deepEqual(accepted("=~", "(?i)abc", ["abc", "ABC", "aBc", "abcd", "ab"]), [
    "abc",
    "ABC",
    "aBc",
  ]);
  assert.equal(m.prefix, "");
  assert.equal(m.setMatches, null);
  assert.deepEqual(accepted("=~", "(?i)get|post", ["GET", "Post", "put"]), ["GET", "Post"]);
  assert.equal(newMatcher("=~", "l", "(?i)get|post").setMatches, null);
  assert.deepEqual(accepted("=~", "a(?i:b)c", ["abc", "aBc", "ABC", "abC"]), ["abc", "aBc"]);
});

test("character classes and Perl classes", () => {
  assert.deepEqual(accepted("=~", "[0-9]+", ["0", "123", "", "12a", "a"]), ["0", "123"]);
  // \d is ASCII only in RE2, as in Go.
  assert.deepEqual(accepted("=~", "\\d", ["7", "77", "x", "\u0663"]), ["7"]);
  assert.deepEqual(accepted("=~", "[^a]", ["b", "a", "\n", ""]), ["b", "\n"]);
  assert.deepEqual(accepted("=~", "[]a]+", ["]", "a]a", "b"]), ["]", "a]a"]);
  assert.deepEqual(accepted("=~", "[[:alpha:]]+", ["abZ", "a1"]), ["abZ"]);
  assert.deepEqual(accepted("=~", "\\w+-\\s", ["ab- ", "ab-", "a b- "]), ["ab- "]);
});

test('"." matches a newline, as under Prometheus\'s (?s)', () => {
  assert.deepEqual(accepted("=~", "a.b", ["a\nb", "axb", "ab", "a\n\nb"]), ["a\nb", "axb"]);
  assert.deepEqual(accepted("=~", ".*", ["", "\n", "a\nb\n"]), ["", "\n", "a\nb\n"]);
  assert.deepEqual(accepted("=~", "x.*", ["x\ny", "y\nx"]), ["x\ny"]);
  assert.deepEqual(accepted("=~", ".*x", ["y\nx", "x\ny"]), ["y\nx"]);
  assert.deepEqual(accepted("=~", ".*x.*", ["\nx\n", "\n\n"]), ["\nx\n"]);
  assert.deepEqual(accepted("=~", "a.*b", ["a\nb", "ab", "a", "b", "ba"]), ["a\nb", "ab"]);
  // The anchoring $ does not match before a trailing newline.
  assert.deepEqual(accepted("=~", "a", ["a\n"]), []);
  assert.deepEqual(accepted("=~", "a$", ["a\n", "a"]), ["a"]);
  // "." is one character, not one UTF-16 unit.
  assert.deepEqual(accepted("=~", ".", ["😀", "é", "ab"]), ["😀", "é"]);
});

test("\\Q...\\E quotes literally, including / and \\u, also when left open", () => {
  assert.deepEqual(accepted("=~", "\\Qa.b\\E", ["a.b", "axb"]), ["a.b"]);
  assert.deepEqual(accepted("=~", "\\Qa/b\\E", ["a/b", "a\\/b"]), ["a/b"]);
  assert.deepEqual(accepted("=~", "\\Q\\u0041\\E", ["\\u0041", "A"]), ["\\u0041"]);
  assert.deepEqual(accepted("=~", "x\\Q(.*", ["x(.*", "x(ab"]), ["x(.*"]);
  assert.deepEqual(newMatcher("=~", "l", "x\\Q(.*").setMatches, ["x(.*"]);
});

test('"(?<" inside a class stays three characters', () => {
  assert.deepEqual(accepted("=~", "[(?<]+", ["(?<", "P", "("]), ["(?<", "("]);
  assert.deepEqual(accepted("=~", "(?<n>a)b", ["ab", "b"]), ["ab"]);
});

function assertInvalid(type: MatchType, name: string, value: string, reason: RegExp): void {
  assert.throws(
    () => newMatcher(type, name, value),
    (err: unknown) => {
      assert.ok(err instanceof InvalidMatcherError);
      assert.ok(err instanceof M3tsError);
      assert.equal(err.code, "M3TS_ERR_INVALID_MATCHER");
      assert.equal(err.labelName, name);
      assert.equal(err.type, type);
      assert.equal(err.value, value);
      assert.match(err.reason, reason);
      assert.ok(err.message.includes(JSON.stringify(value)), err.message);
      assert.ok(err.message.includes(JSON.stringify(name)), err.message);
      assert.ok(err.message.endsWith(err.reason), err.message);
      return true;
    },
  );
}

test("invalid regexes are rejected naming the label, the pattern and why", () => {
  assert.throws(() => newMatcher("=~", "code", "5(.."), {
    name: "InvalidMatcherError",
    message: 'invalid regex for label "code": "5(..": missing )',
  });
  assertInvalid("=~", "code", "(", /^missing \)$/);
  assertInvalid("!~", "code", "[z-a]", /invalid character class range/);
  assertInvalid("=~", "code", "a**", /bad repetition operator/);
  assertInvalid("=~", "code", "a++", /bad repetition operator/);
  assertInvalid("=~", "code", "*", /no argument for repetition/);
  assertInvalid("=~", "code", "[a", /missing \]/);
  assertInvalid("=~", "code", "a{2,1}", /invalid repetition size/);
  assertInvalid("=~", "code", "a\\", /trailing \\/);
  assertInvalid("=~", "code", "(?=a)", /invalid perl operator/);
  assertInvalid("=~", "code", "\\1", /invalid escape/);
  // Balanced only with the anchoring group around it: still invalid.
  assertInvalid("=~", "code", "a)(b", /unexpected \)|missing \(/);
  // Escapes the re2 package would translate but Go's parser rejects.
  assertInvalid("=~", "code", "\\u0041", /invalid escape sequence: \\u/);
  assertInvalid("=~", "code", "\\cA", /invalid escape sequence: \\c/);
  assertInvalid("=~", "code", "[\\u0041]", /invalid escape sequence: \\u/);
  assertInvalid("=~", "code", "\\C", /invalid escape sequence: \\C/);
});

test("unknown operators and empty label names are rejected", () => {
  assertInvalid("=", "", "x", /label name is empty/);
  assertInvalid("=~", "", ".*", /label name is empty/);
  assert.throws(
    () => newMatcher("==" as MatchType, "job", "x"),
    (err: unknown) => {
      assert.ok(err instanceof InvalidMatcherError);
      assert.equal(err.type, "==");
      assert.match(err.reason, /unknown match type/);
      return true;
    },
  );
});

// --- Property: the matcher agrees with the anchored RE2 regex ---------------

const ALPHABET = ["a", "b", "c", "A", "B", "0", "1", ".", "-", "\n", "é"];

const literal = fc.constantFrom("a", "b", "c", "ab", "\\.", "-", "é", "A");
const atom = fc.constantFrom(".", "[ab]", "[0-9]", "\\d", "[^a]", "\\w", "^", "$", "\\b", "\\B");
const pattern: fc.Arbitrary<string> = fc.letrec<{ re: string; piece: string }>((tie) => ({
  piece: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    literal,
    atom,
    tie("re").map((r) => `(${r})`),
    tie("re").map((r) => `(?:${r})`),
  ),
  re: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    tie("piece"),
    fc.tuple(tie("piece"), fc.constantFrom("*", "+", "?", "*?")).map(([p, op]) => p + op),
    fc.array(tie("piece"), { minLength: 2, maxLength: 4 }).map((ps) => ps.join("")),
    fc.tuple(tie("re"), tie("re")).map(([a, b]) => `${a}|${b}`),
    tie("re").map((r) => `.*${r}`),
    tie("re").map((r) => `${r}.*`),
    tie("re").map((r) => `(?i)${r}`),
  ),
})).re;

const value = fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 6 });

test("property: matches agrees with RE2 on ^(?s:pattern)$; prefix, set and matchesEmpty are exact", () => {
  fc.assert(
    fc.property(pattern, fc.array(value, { maxLength: 20 }), (p, values) => {
      const ref = new RE2(`^(?s:${p})$`, "u");
      const m = newMatcher("=~", "l", p);
      const neg = newMatcher("!~", "l", p);
      assert.equal(m.matchesEmpty, ref.test(""));
      assert.equal(m.matchesEmpty, m.matches(""));
      const candidates = [...values, ...(m.setMatches ?? []), m.prefix, `${m.prefix}a`];
      for (const v of candidates) {
        const want = ref.test(v);
        assert.equal(m.matches(v), want, `${p} on ${JSON.stringify(v)}`);
        assert.equal(neg.matches(v), !want, `!~ ${p} on ${JSON.stringify(v)}`);
        if (want)
          assert.ok(v.startsWith(m.prefix), `${p}: ${JSON.stringify(v)} lacks prefix ${m.prefix}`);
        if (m.setMatches !== null)
          assert.equal(m.setMatches.includes(v), want, `${p} set on ${JSON.stringify(v)}`);
      }
    }),
    { numRuns: 1000 },
  );
});

test("property: literal alternations and prefix shapes take fast paths that agree with RE2", () => {
  const word = fc.string({ unit: fc.constantFrom("a", "b", "-"), maxLength: 3 });
  const shaped = fc.oneof(
    fc.array(word, { minLength: 1, maxLength: 5 }).map((ws) => ws.join("|")),
    word.map((w) => `${w}.*`),
    word.map((w) => `.*${w}`),
    word.map((w) => `.*${w}.*`),
    fc.tuple(word, word).map(([a, b]) => `${a}.*${b}`),
    fc.constantFrom(".*", ".+", ".*?", "^.*$"),
  );
  const v = fc.string({ unit: fc.constantFrom("a", "b", "-", "\n"), maxLength: 6 });
  fc.assert(
    fc.property(shaped, fc.array(v, { maxLength: 30 }), (p, values) => {
      const ref = new RE2(`^(?s:${p})$`, "u");
      const m = newMatcher("=~", "l", p);
      for (const x of values)
        assert.equal(m.matches(x), ref.test(x), `${p} on ${JSON.stringify(x)}`);
      if (!p.includes(".")) assert.notEqual(m.setMatches, null, p);
    }),
    { numRuns: 1000 },
  );
});
