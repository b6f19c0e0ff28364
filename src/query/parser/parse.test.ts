import assert from "node:assert/strict";
import { test } from "node:test";
import type { AtModifier, Duration, LabelMatcherNode, VectorMatching } from "../ast.js";
import { PromQLParseError } from "../errors.js";
import { parsePromQL, typeOf } from "./index.js";

// Expected trees are written without positions; positions have their own tests.
function strip(e: unknown): unknown {
  if (Array.isArray(e)) return e.map(strip);
  if (e === null || typeof e !== "object") return e;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) if (k !== "pos") out[k] = strip(v);
  return out;
}

const eq = (name: string, value: string): LabelMatcherNode => ({ name, op: "=", value });
function vs(
  name: string | null,
  matchers: LabelMatcherNode[] = [],
  mods: { offset?: Duration; at?: AtModifier | null; anchored?: boolean; smoothed?: boolean } = {},
): unknown {
  return {
    kind: "vectorSelector",
    name,
    matchers: name === null ? matchers : [...matchers, eq("__name__", name)],
    offset: mods.offset ?? 0,
    at: mods.at ?? null,
    anchored: mods.anchored ?? false,
    smoothed: mods.smoothed ?? false,
  };
}
const num = (value: number): unknown => ({ kind: "number", value });
const str = (value: string): unknown => ({ kind: "string", value });
const ms = (vector: unknown, range: Duration): unknown => ({
  kind: "matrixSelector",
  vector,
  range,
});
const call = (func: string, ...args: unknown[]): unknown => ({ kind: "call", func, args });
const paren = (expr: unknown): unknown => ({ kind: "paren", expr });
const unary = (op: "-" | "+", expr: unknown): unknown => ({ kind: "unary", op, expr });
const ONE_TO_ONE: VectorMatching = {
  card: "one-to-one",
  on: false,
  labels: [],
  include: [],
  fillLeft: null,
  fillRight: null,
};
function bin(
  op: string,
  lhs: unknown,
  rhs: unknown,
  opts: { bool?: boolean; matching?: Partial<VectorMatching> | null } = {},
): unknown {
  return {
    kind: "binary",
    op,
    lhs,
    rhs,
    returnBool: opts.bool ?? false,
    matching:
      opts.matching === null
        ? null
        : opts.matching === undefined
          ? ONE_TO_ONE
          : { ...ONE_TO_ONE, ...opts.matching },
  };
}
function agg(
  op: string,
  expr: unknown,
  opts: { param?: unknown; grouping?: string[]; without?: boolean } = {},
): unknown {
  return {
    kind: "aggregate",
    op,
    param: opts.param ?? null,
    expr,
    grouping: opts.grouping ?? [],
    without: opts.without ?? false,
  };
}

const VALID: Array<[string, unknown]> = [
  // Literals.
  ["1", num(1)],
  ["-1", num(-1)],
  ["+1", num(1)],
  ["--1", num(1)],
  ["- 1", num(-1)],
  [".5", num(0.5)],
  ["5.", num(5)],
  ["1e3", num(1000)],
  ["1E-2", num(0.01)],
  ["0x1F", num(31)],
  ["010", num(8)],
  ["1_000", num(1000)],
  ["Inf", num(Number.POSITIVE_INFINITY)],
  ["-inf", num(Number.NEGATIVE_INFINITY)],
  ["1m", num(60)],
  ["1h30m", num(5400)],
  ["500ms", num(0.5)],
  ["1y", num(365 * 86400)],
  ["2w", num(14 * 86400)],
  ['"double"', str("double")],
  ["'single'", str("single")],
  ["`raw\\n`", str("raw\\n")],
  ['"tab\\tnew\\nquote\\""', str('tab\tnew\nquote"')],
  ['"\\u00e9\\x41\\101\\U0001F600"', str("éAA😀")],
  ["'it\\'s'", str("it's")],
  ['"ünïcödé"', str("ünïcödé")],
  // Selectors.
  ["foo", vs("foo")],
  ["foo:bar:rate5m", vs("foo:bar:rate5m")],
  ['foo{a="b"}', vs("foo", [eq("a", "b")])],
  [
    'foo{a!="b", c=~"d.*", e!~"f",}',
    vs("foo", [
      { name: "a", op: "!=", value: "b" },
      { name: "c", op: "=~", value: "d.*" },
      { name: "e", op: "!~", value: "f" },
    ]),
  ],
  ['{__name__="foo"}', vs(null, [eq("__name__", "foo")])],
  ['{"foo.bar"}', vs(null, [eq("__name__", "foo.bar")])],
  ['{"foo.bar", "a.b"="c"}', vs(null, [eq("__name__", "foo.bar"), eq("a.b", "c")])],
  ['foo{"bar"="baz"}', vs("foo", [eq("bar", "baz")])],
  ["sum_over", vs("sum_over")],
  ["rate", vs("rate")],
  ["by", vs("by")],
  ["foo offset 5m", vs("foo", [], { offset: 300000 })],
  ["foo offset -1h30m", vs("foo", [], { offset: -5400000 })],
  ["foo OFFSET 1m", vs("foo", [], { offset: 60000 })],
  ["foo offset 90", vs("foo", [], { offset: 90000 })],
  ["foo @ 1234.5", vs("foo", [], { at: { kind: "time", ms: 1234500 } })],
  ["foo @ -10", vs("foo", [], { at: { kind: "time", ms: -10000 } })],
  ["foo @ start()", vs("foo", [], { at: { kind: "start" } })],
  ["foo @ end() offset 1m", vs("foo", [], { at: { kind: "end" }, offset: 60000 })],
  ["foo offset 1m @ end()", vs("foo", [], { at: { kind: "end" }, offset: 60000 })],
  ["foo[5m]", ms(vs("foo"), 300000)],
  ["foo[300]", ms(vs("foo"), 300000)],
  ["foo[1.5]", ms(vs("foo"), 1500)],
  ["foo[5m] offset 1w", ms(vs("foo", [], { offset: 7 * 86400000 }), 300000)],
  [
    "foo[5m] @ 100 offset 1m",
    ms(vs("foo", [], { offset: 60000, at: { kind: "time", ms: 100000 } }), 300000),
  ],
  ["foo[5m] anchored", ms(vs("foo", [], { anchored: true }), 300000)],
  ["foo[5m] smoothed", ms(vs("foo", [], { smoothed: true }), 300000)],
  ["foo smoothed", vs("foo", [], { smoothed: true })],
  // Subqueries.
  ["foo[5m:]", { kind: "subquery", expr: vs("foo"), range: 300000, step: 0, offset: 0, at: null }],
  [
    "rate(foo[1m])[1h:5m] offset 10m @ end()",
    {
      kind: "subquery",
      expr: call("rate", ms(vs("foo"), 60000)),
      range: 3600000,
      step: 300000,
      offset: 600000,
      at: { kind: "end" },
    },
  ],
  // Duration expressions.
  [
    "foo[5m + step()]",
    ms(vs("foo"), {
      kind: "durationBinary",
      op: "+",
      lhs: { kind: "durationLiteral", ms: 300000 },
      rhs: { kind: "durationCall", func: "step", args: [] },
    }),
  ],
  [
    "foo offset -min_of(1m, range())",
    vs("foo", [], {
      offset: {
        kind: "durationUnary",
        op: "-",
        expr: {
          kind: "durationCall",
          func: "min_of",
          args: [
            { kind: "durationLiteral", ms: 60000 },
            { kind: "durationCall", func: "range", args: [] },
          ],
        },
      },
    }),
  ],
  [
    "foo[2 * 30s]",
    ms(vs("foo"), {
      kind: "durationBinary",
      op: "*",
      lhs: { kind: "durationNumber", seconds: 2 },
      rhs: { kind: "durationLiteral", ms: 30000 },
    }),
  ],
  // Operators: precedence, associativity, unary binding.
  ["1 + 2 * 3", bin("+", num(1), bin("*", num(2), num(3), { matching: null }), { matching: null })],
  ["1 - 2 - 3", bin("-", bin("-", num(1), num(2), { matching: null }), num(3), { matching: null })],
  ["2 ^ 3 ^ 2", bin("^", num(2), bin("^", num(3), num(2), { matching: null }), { matching: null })],
  ["-1 ^ 2", unary("-", bin("^", num(1), num(2), { matching: null }))],
  ["-1 * 2", bin("*", num(-1), num(2), { matching: null })],
  ["-(1)", unary("-", paren(num(1)))],
  ["-foo", unary("-", vs("foo"))],
  ["-foo @ 100", unary("-", vs("foo", [], { at: { kind: "time", ms: 100000 } }))],
  ["a + b offset 1m", bin("+", vs("a"), vs("b", [], { offset: 60000 }))],
  ["a + -b offset 1m", bin("+", vs("a"), unary("-", vs("b", [], { offset: 60000 })))],
  [
    "a * b @ 1 offset 1m",
    bin("*", vs("a"), vs("b", [], { at: { kind: "time", ms: 1000 }, offset: 60000 })),
  ],
  ["a / b smoothed", bin("/", vs("a"), vs("b", [], { smoothed: true }))],
  [
    "(a + b)[5m:]",
    {
      kind: "subquery",
      expr: paren(bin("+", vs("a"), vs("b"))),
      range: 300000,
      step: 0,
      offset: 0,
      at: null,
    },
  ],
  ["1m + 1", bin("+", num(60), num(1), { matching: null })],
  [
    "a or b and c",
    bin("or", vs("a"), bin("and", vs("b"), vs("c"), { matching: { card: "many-to-many" } }), {
      matching: { card: "many-to-many" },
    }),
  ],
  ["a atan2 b", bin("atan2", vs("a"), vs("b"))],
  ["a == bool 1", bin("==", vs("a"), num(1), { bool: true, matching: null })],
  ["1 < bool 2", bin("<", num(1), num(2), { bool: true, matching: null })],
  ["a > b", bin(">", vs("a"), vs("b"))],
  ["a + on(x, y) b", bin("+", vs("a"), vs("b"), { matching: { on: true, labels: ["x", "y"] } })],
  ["a + on() b", bin("+", vs("a"), vs("b"), { matching: { on: true } })],
  ["a / ignoring(x) b", bin("/", vs("a"), vs("b"), { matching: { labels: ["x"] } })],
  [
    "a * on(x) group_left(y, z) b",
    bin("*", vs("a"), vs("b"), {
      matching: { on: true, labels: ["x"], card: "many-to-one", include: ["y", "z"] },
    }),
  ],
  [
    "a * ignoring(x) group_right b",
    bin("*", vs("a"), vs("b"), { matching: { labels: ["x"], card: "one-to-many" } }),
  ],
  [
    "a and on(x) b",
    bin("and", vs("a"), vs("b"), { matching: { on: true, labels: ["x"], card: "many-to-many" } }),
  ],
  ["a + fill(0) b", bin("+", vs("a"), vs("b"), { matching: { fillLeft: 0, fillRight: 0 } })],
  [
    "a + on(x) fill_left(-1) fill_right(2) b",
    bin("+", vs("a"), vs("b"), {
      matching: { on: true, labels: ["x"], fillLeft: -1, fillRight: 2 },
    }),
  ],
  ["a + fill_right(1) b", bin("+", vs("a"), vs("b"), { matching: { fillRight: 1 } })],
  ["fill + fill", bin("+", vs("fill"), vs("fill"))],
  // Aggregations.
  ["sum(foo)", agg("sum", vs("foo"))],
  ["sum by (a, b) (foo)", agg("sum", vs("foo"), { grouping: ["a", "b"] })],
  ["sum(foo) by (a)", agg("sum", vs("foo"), { grouping: ["a"] })],
  ["SUM BY (a) (foo)", agg("sum", vs("foo"), { grouping: ["a"] })],
  ["avg without (a) (foo)", agg("avg", vs("foo"), { grouping: ["a"], without: true })],
  ["count without () (foo)", agg("count", vs("foo"), { without: true })],
  ['max by ("a.b", c,) (foo)', agg("max", vs("foo"), { grouping: ["a.b", "c"] })],
  ["topk(3, foo)", agg("topk", vs("foo"), { param: num(3) })],
  [
    "bottomk by (a) (1 + 1, foo)",
    agg("bottomk", vs("foo"), {
      param: bin("+", num(1), num(1), { matching: null }),
      grouping: ["a"],
    }),
  ],
  ['count_values("v", foo)', agg("count_values", vs("foo"), { param: str("v") })],
  ["quantile(0.9, foo)", agg("quantile", vs("foo"), { param: num(0.9) })],
  ["limitk(2, foo)", agg("limitk", vs("foo"), { param: num(2) })],
  ["limit_ratio(-0.5, foo)", agg("limit_ratio", vs("foo"), { param: num(-0.5) })],
  ["group(foo)", agg("group", vs("foo"))],
  ["stddev(foo) + stdvar(foo)", bin("+", agg("stddev", vs("foo")), agg("stdvar", vs("foo")))],
  // Calls.
  ["time()", call("time")],
  ["rate(foo[5m])", call("rate", ms(vs("foo"), 300000))],
  ["round(foo)", call("round", vs("foo"))],
  ["round(foo, 5)", call("round", vs("foo"), num(5))],
  ["hour()", call("hour")],
  [
    'label_join(foo, "d", ",", "a", "b", "c")',
    call("label_join", vs("foo"), str("d"), str(","), str("a"), str("b"), str("c")),
  ],
  [
    "histogram_quantile(0.9, rate(foo[5m]))",
    call("histogram_quantile", num(0.9), call("rate", ms(vs("foo"), 300000))),
  ],
  [
    "double_exponential_smoothing(foo[5m], 0.5, 0.5)",
    call("double_exponential_smoothing", ms(vs("foo"), 300000), num(0.5), num(0.5)),
  ],
  ["max_of(1, 2)", call("max_of", num(1), num(2))],
  ["step()", call("step")],
  ['info(foo, {a="b"})', call("info", vs("foo"), vs(null, [eq("a", "b")]))],
  ['sort_by_label(foo, "a", "b")', call("sort_by_label", vs("foo"), str("a"), str("b"))],
  ["foo # a comment\n + 1", bin("+", vs("foo"), num(1), { matching: null })],
];

for (const [query, expected] of VALID) {
  test(`parses ${JSON.stringify(query)}`, () => {
    assert.deepEqual(strip(parsePromQL(query)), expected);
  });
}

test("a NaN literal parses to NaN", () => {
  const e = parsePromQL("NaN");
  assert.equal(e.kind, "number");
  assert.ok(e.kind === "number" && Number.isNaN(e.value));
});

test("nodes keep the character range they came from", () => {
  const e = parsePromQL('sum(rate(foo{a="b"}[5m]))');
  assert.deepEqual(e.pos, { start: 0, end: 25 });
  assert.ok(e.kind === "aggregate" && e.expr.kind === "call");
  if (e.kind !== "aggregate" || e.expr.kind !== "call") return;
  assert.deepEqual(e.expr.pos, { start: 4, end: 24 });
  const m = e.expr.args[0];
  assert.ok(m !== undefined && m.kind === "matrixSelector");
  if (m?.kind !== "matrixSelector") return;
  assert.deepEqual(m.pos, { start: 9, end: 23 });
  assert.deepEqual(m.vector.pos, { start: 9, end: 19 });
});

test("a folded negative number starts at its sign", () => {
  assert.deepEqual(parsePromQL("  -5").pos, { start: 2, end: 4 });
});

test("typeOf gives Prometheus's types", () => {
  const cases: Array<[string, string]> = [
    ["1", "scalar"],
    ['"a"', "string"],
    ["foo", "vector"],
    ["foo[5m]", "matrix"],
    ["foo[5m:1m]", "matrix"],
    ["rate(foo[5m])", "vector"],
    ["scalar(foo)", "scalar"],
    ["time() + 1", "scalar"],
    ["foo + 1", "vector"],
    ["-(time())", "scalar"],
    ["sum(foo)", "vector"],
  ];
  for (const [q, t] of cases) assert.equal(typeOf(parsePromQL(q)), t, q);
});

test("parse errors are PromQLParseError with errorType bad_data and status 400", () => {
  assert.throws(
    () => parsePromQL("foo{"),
    (e: unknown) =>
      e instanceof PromQLParseError &&
      e.errorType === "bad_data" &&
      e.status === 400 &&
      e.position === 4,
  );
});
