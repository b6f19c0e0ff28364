import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Expr } from "../ast.js";
import { exprToJSON, formatExpr, parsePromQL, prettyExpr, walkExpr } from "./index.js";

// Structure without positions, matchers in a fixed order (printing sorts them).
function shape(e: unknown): unknown {
  if (Array.isArray(e)) return e.map(shape);
  if (e === null || typeof e !== "object") return e;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (k === "pos") continue;
    out[k] = k === "matchers" ? (v as unknown[]).map((m) => JSON.stringify(m)).sort() : shape(v);
  }
  return out;
}

// Canonical texts as Prometheus's String() prints them.
const CANONICAL: Array<[string, string]> = [
  ["sum(foo) by (a,b)", "sum by (a, b) (foo)"],
  ["sum by () (foo)", "sum(foo)"],
  ["count without () (foo)", "count without () (foo)"],
  ["topk(3,foo)", "topk(3, foo)"],
  ['foo{z="1",a="2"}', 'foo{a="2",z="1"}'],
  ['{__name__="foo",a="b"}', '{__name__="foo",a="b"}'],
  ['{"foo.bar"}', '{__name__="foo.bar"}'],
  ['foo{"a.b"="c"}', 'foo{"a.b"="c"}'],
  ['sum by ("a.b") (foo)', 'sum by ("a.b") (foo)'],
  ["foo[90s]", "foo[1m30s]"],
  ["foo[300]", "foo[5m]"],
  ["foo offset -1h30m", "foo offset -1h30m"],
  ["foo @ 100 offset 5m", "foo @ 100.000 offset 5m"],
  ["foo offset 5m @ 100", "foo @ 100.000 offset 5m"],
  ["foo[5m] @ start() offset 1m", "foo[5m] @ start() offset 1m"],
  ["foo[5m] offset 1m anchored", "foo[5m] anchored offset 1m"],
  ["rate(foo[5m:])", "rate(foo[5m:])"],
  ["foo[5m:1m] @ end() offset 1d", "foo[5m:1m] @ end() offset 1d"],
  ["a+on(x)group_left(y)b", "a + on (x) group_left (y) b"],
  ["a + ignoring(x) group_right b", "a + ignoring (x) group_right () b"],
  ["a and on() b", "a and on () b"],
  ["a == bool 1", "a == bool 1"],
  ["a + fill(0) b", "a + fill (0) b"],
  ["a + fill_left(1) fill_right(2) b", "a + fill_left (1) fill_right (2) b"],
  ["-1 ^ 2", "-1 ^ 2"],
  ["-(1 ^ 2)", "-(1 ^ 2)"],
  ["1e3", "1000"],
  ["0x10", "16"],
  ["1m + 1", "60 + 1"],
  ["Inf", "+Inf"],
  ["-Inf", "-Inf"],
  ["NaN", "NaN"],
  ["'a\"b'", '"a\\"b"'],
  ["`a\\b`", '"a\\\\b"'],
  ["foo[5m + step()]", "foo[5m + step()]"],
  ["foo[(5m + 1m) * 2]", "foo[(5m + 1m) * 2]"],
  ["foo offset (1m * 2)", "foo offset (1m * 2)"],
  ["foo offset -step()", "foo offset -step()"],
  ["foo[min_of(5m, range())]", "foo[min_of(5m, range())]"],
];

for (const [query, want] of CANONICAL) {
  test(`formats ${JSON.stringify(query)} as ${JSON.stringify(want)}`, () => {
    assert.equal(formatExpr(parsePromQL(query)), want);
  });
}

// Prometheus's prettier cases, printed with a 10-byte line limit.
const PRETTY: Array<[string, string]> = [
  ["sum(foo)", "sum(foo)"],
  ['sum by() (task:errors:rate10s{job="s"})', 'sum(\n  task:errors:rate10s{job="s"}\n)'],
  ['topk(10, ask:errors:rate10s{job="s"})', 'topk(\n  10,\n  ask:errors:rate10s{job="s"}\n)'],
  [
    'sum by(job,foo) (sum by(job,foo) (task:errors:rate10s{job="s"}))',
    'sum by (job, foo) (\n  sum by (job, foo) (\n    task:errors:rate10s{job="s"}\n  )\n)',
  ],
  ["a+b", "a + b"],
  ["a == bool 1", "  a\n== bool\n  1"],
  ["foo_1 + foo_2 + foo_3", "    foo_1\n  +\n    foo_2\n+\n  foo_3"],
  ["foo + baar + foo_3", "  foo + baar\n+\n  foo_3"],
  ["rate(foo[1m])", "rate(\n  foo[1m]\n)"],
  [
    "rate(long_vector_selector[10m:1m] @ start() offset 1m)",
    "rate(\n  long_vector_selector[10m:1m] @ start() offset 1m\n)",
  ],
  ["-foo_long_name", "-foo_long_name"],
];

for (const [query, want] of PRETTY) {
  test(`pretty-prints ${JSON.stringify(query)}`, () => {
    assert.equal(prettyExpr(parsePromQL(query), 10), want);
  });
}

test("short expressions stay on one line under the default limit of 100 bytes", () => {
  assert.equal(prettyExpr(parsePromQL("sum by (a) (rate(foo[5m]))")), "sum by (a) (rate(foo[5m]))");
});

test("a pretty-printed long query parses back to the same tree", () => {
  const q =
    'sum by (job) (rate(http_requests_total{job="api",code=~"5.."}[5m])) / on (job) group_left () sum by (job) (rate(http_requests_total{job="api"}[5m])) > bool 0.01';
  const pretty = prettyExpr(parsePromQL(q));
  assert.ok(pretty.includes("\n"));
  assert.deepEqual(shape(parsePromQL(pretty)), shape(parsePromQL(q)));
});

// Random trees from a small grammar: printing and parsing again gives the same tree.
const metric = fc.constantFrom("foo", "bar_total", "a:b:c", "sum_x");
const labelName = fc.constantFrom("a", "job", "__name__", "le", "a.b", "ünï");
const labelValue = fc.string({ maxLength: 6 });
const matcher = fc
  .tuple(labelName, fc.constantFrom("=", "!=", "=~", "!~"), labelValue)
  .map(
    ([n, op, v]) =>
      `${JSON.stringify(n)}${op}${JSON.stringify(op.includes("~") ? v.replace(/[\\^$.|?*+()[\]{}]/g, "") : v)}`,
  );
const durationText = fc
  .tuple(fc.integer({ min: 1, max: 90 }), fc.constantFrom("ms", "s", "m", "h", "d", "w", "y"))
  .map(([n, u]) => `${n}${u}`);
const selector = fc
  .tuple(
    metric,
    fc.array(matcher, { maxLength: 3 }),
    fc.option(durationText),
    fc.option(fc.integer({ min: -5000, max: 5000 })),
  )
  .map(([m, ms, off, at]) => {
    let s = ms.length > 0 ? `${m}{${ms.join(", ")}}` : m;
    if (at !== null) s += ` @ ${at / 4}`;
    if (off !== null) s += ` offset -${off}`;
    return s;
  });
const rangeSel = fc.tuple(metric, durationText).map(([m, d]) => `${m}[${d}]`);
const number = fc.oneof(
  fc.double({ noNaN: true, min: -1e6, max: 1e6 }).map((v) => String(v)),
  // Not Inf: Prometheus prints it "+Inf", which reads back as a unary plus before "^".
  fc.constantFrom("0x1f", "1e3", "5m", "NaN"),
);

const { expr: vectorExpr } = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small" },
    selector,
    rangeSel.map((r) => `rate(${r})`),
    tie("expr").map((e) => `sum by (job) (${e})`),
    fc
      .tuple(
        tie("expr"),
        fc.constantFrom("+", "-", "*", "/", "^", "%", "atan2", "==", "and", "or", "unless"),
        tie("expr"),
      )
      .map(([l, op, r]) => `${l} ${op} ${r}`),
    fc.tuple(tie("expr"), number).map(([l, n]) => `${l} > bool ${n}`),
    fc.tuple(tie("expr"), tie("expr")).map(([l, r]) => `${l} * on (job) group_left (a) ${r}`),
    tie("expr").map((e) => `(${e})`),
    tie("expr").map((e) => `-${e}`),
    fc.tuple(tie("expr"), durationText).map(([e, d]) => `max_over_time((${e})[${d}:])`),
    fc.tuple(number, tie("expr")).map(([n, e]) => `topk(${n}, ${e})`),
  ),
}));

test("parse(format(parse(q))) equals parse(q) for random queries", () => {
  fc.assert(
    fc.property(vectorExpr, (q) => {
      let tree: Expr;
      try {
        tree = parsePromQL(q);
      } catch {
        return true; // the generator can build ill-typed queries (scalar and set operators)
      }
      const printed = formatExpr(tree);
      assert.deepEqual(shape(parsePromQL(printed)), shape(tree), `${q}\n=> ${printed}`);
      assert.equal(formatExpr(parsePromQL(printed)), printed);
      return true;
    }),
    { numRuns: 400 },
  );
});

test("the generator reaches well-typed queries often enough to mean something", () => {
  const samples = fc.sample(vectorExpr, { numRuns: 300, seed: 7 });
  let parsed = 0;
  for (const q of samples) {
    try {
      parsePromQL(q);
      parsed++;
    } catch {}
  }
  assert.ok(parsed > 150, `only ${parsed} of 300 parsed`);
});

test("exprToJSON gives parse_query's tree shape", () => {
  assert.deepEqual(exprToJSON(parsePromQL('sum by (job) (rate(foo{a="b"}[5m] offset 1m))')), {
    type: "aggregation",
    op: "sum",
    expr: {
      type: "call",
      func: { name: "rate", argTypes: ["matrix"], variadic: 0, returnType: "vector" },
      args: [
        {
          type: "matrixSelector",
          name: "foo",
          range: 300000,
          rangeExpr: null,
          offset: 60000,
          offsetExpr: null,
          matchers: [
            { name: "a", value: "b", type: "=" },
            { name: "__name__", value: "foo", type: "=" },
          ],
          timestamp: null,
          startOrEnd: null,
          anchored: false,
          smoothed: false,
        },
      ],
    },
    param: null,
    grouping: ["job"],
    without: false,
  });
  assert.deepEqual(exprToJSON(parsePromQL("a > bool on (x) group_left (y) b @ 5")), {
    type: "binaryExpr",
    op: ">",
    lhs: {
      type: "vectorSelector",
      name: "a",
      offset: 0,
      offsetExpr: null,
      matchers: [{ name: "__name__", value: "a", type: "=" }],
      timestamp: null,
      startOrEnd: null,
      anchored: false,
      smoothed: false,
    },
    rhs: {
      type: "vectorSelector",
      name: "b",
      offset: 0,
      offsetExpr: null,
      matchers: [{ name: "__name__", value: "b", type: "=" }],
      timestamp: 5000,
      startOrEnd: null,
      anchored: false,
      smoothed: false,
    },
    matching: {
      card: "many-to-one",
      labels: ["x"],
      on: true,
      include: ["y"],
      fillValues: { lhs: null, rhs: null },
    },
    bool: true,
  });
  assert.deepEqual(exprToJSON(parsePromQL("-(1)")), {
    type: "unaryExpr",
    op: "-",
    expr: { type: "parenExpr", expr: { type: "numberLiteral", val: "1" } },
  });
  assert.deepEqual(exprToJSON(parsePromQL("foo[5m + step():]")), {
    type: "subquery",
    expr: {
      type: "vectorSelector",
      name: "foo",
      offset: 0,
      offsetExpr: null,
      matchers: [{ name: "__name__", value: "foo", type: "=" }],
      timestamp: null,
      startOrEnd: null,
      anchored: false,
      smoothed: false,
    },
    range: 0,
    rangeExpr: {
      type: "durationExpr",
      op: "+",
      lhs: { type: "numberLiteral", val: "300", duration: true },
      rhs: { type: "durationExpr", op: "step", lhs: null, rhs: null, wrapped: false },
      wrapped: false,
    },
    offset: 0,
    offsetExpr: null,
    step: 0,
    stepExpr: null,
    timestamp: null,
    startOrEnd: null,
  });
});

test("walkExpr visits every node parents first and can skip a subtree", () => {
  const kinds: string[] = [];
  walkExpr(parsePromQL("sum(rate(foo[5m])) + (bar * 2)"), (node) => {
    kinds.push(node.kind);
    return node.kind !== "paren";
  });
  assert.deepEqual(kinds, [
    "binary",
    "aggregate",
    "call",
    "matrixSelector",
    "vectorSelector",
    "paren",
  ]);
});
