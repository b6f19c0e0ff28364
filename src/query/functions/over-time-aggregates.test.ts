// The *_over_time family, changes and resets on hand-computed windows, their
// naming rules, and the two-pointer window walk against a per-window filter.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { Annotations } from "../annotations.js";
import type { MatrixBlock, Steps, VectorBlock } from "../block.js";
import { makeLabels } from "../labels.js";
import type { FunctionCallContext } from "./function-impl.js";
import { quantileOf } from "./over-time-aggregates.js";
import { OVER_TIME_FUNCTIONS } from "./over-time-functions.js";
import { parseCall } from "./over-time-script.js";
import { at, close, evaluate, only, range, rowValues, series } from "./over-time-testing.js";

const g = (values: number[]) => [
  series(
    { __name__: "g", job: "a" },
    values.map((v, i) => [10 * (i + 1), v] as [number, number]),
  ),
];
/** Evaluates `fn(g[10m])` at 600 s, where every sample of g (10 s apart from 10 s) is in the window. */
const of = (fn: string, values: number[]) => only(evaluate(`${fn}(g[10m])`, g(values), at(600)));
const { NaN: nan, POSITIVE_INFINITY: inf, NEGATIVE_INFINITY: ninf } = Number;

describe("sum_over_time and avg_over_time", () => {
  test("plain sums and means", () => {
    assert.equal(of("sum_over_time", [1, 2, 3]), 6);
    assert.equal(of("avg_over_time", [1, 2, 3, 4, 5]), 3);
    assert.equal(of("avg_over_time", [5]), 5);
  });

  test("compensated summation keeps what a plain sum loses", () => {
    // 1e100 + 1 - 1e100: a plain sum gives 0, the compensation holds the 1.
    assert.equal(of("sum_over_time", [1e100, 1, -1e100]), 1);
    assert.equal(of("avg_over_time", [1e100, 1, -1e100]), 1 / 3);
  });

  test("a mean whose sum overflows switches to the incremental mean", () => {
    // 1e308 + 1e308 is Inf; the mean of the two is 1e308.
    assert.equal(of("avg_over_time", [1e308, 1e308]), 1e308);
    assert.equal(of("sum_over_time", [1e308, 1e308]), inf);
  });

  test("a constant window averages to exactly that constant", () => {
    const s = [
      series(
        { __name__: "foo" },
        Array.from({ length: 14 }, (_, i) => [10 * i, 52] as [number, number]),
      ),
    ];
    for (const r of ["100s", "110s", "120s", "130s"]) {
      assert.equal(only(evaluate(`avg_over_time(foo[${r}])`, s, at(130))), 52, r);
    }
  });

  test("infinities and NaN", () => {
    assert.equal(of("sum_over_time", [1, inf]), inf);
    assert.ok(Number.isNaN(of("sum_over_time", [inf, ninf]) as number));
    assert.equal(of("avg_over_time", [1, 2, inf]), inf);
    assert.equal(of("avg_over_time", [1, 2, ninf]), ninf);
    assert.ok(Number.isNaN(of("avg_over_time", [1, nan, 3]) as number));
  });
});

describe("min, max and their times", () => {
  test("NaN loses to any number that follows it", () => {
    assert.equal(of("min_over_time", [3, nan, 1]), 1);
    assert.equal(of("max_over_time", [3, nan, 1]), 3);
    assert.equal(of("max_over_time", [nan, 5]), 5);
    assert.ok(Number.isNaN(of("min_over_time", [nan, nan]) as number));
  });

  test("ts_of_min/max take the last of equal extremes, in seconds", () => {
    // Samples at 10, 20, 30 s.
    assert.equal(of("ts_of_max_over_time", [1, 5, 5]), 30);
    assert.equal(of("ts_of_min_over_time", [2, 1, 1]), 30);
    assert.equal(of("ts_of_max_over_time", [9, 5, 5]), 10);
  });
});

describe("count, present, first, last and their times", () => {
  test("values", () => {
    assert.equal(of("count_over_time", [4, nan, 6]), 3);
    assert.equal(of("present_over_time", [4, nan, 6]), 1);
    assert.equal(of("first_over_time", [4, nan, 6]), 4);
    assert.equal(of("last_over_time", [4, nan, 6]), 6);
    assert.equal(of("ts_of_first_over_time", [4, nan, 6]), 10);
    assert.equal(of("ts_of_last_over_time", [4, nan, 6]), 30);
  });

  test("an empty window has no value", () => {
    assert.equal(only(evaluate("count_over_time(g[5s])", g([1, 2]), at(60))), null);
  });

  test("first and last keep the metric name; the others drop it (by dropName)", () => {
    for (const fn of ["first_over_time", "last_over_time"]) {
      const e = evaluate(`${fn}(g[1m])`, g([1]), at(60));
      assert.equal(e.block.series[0].dropName, false, fn);
    }
    for (const fn of ["sum_over_time", "ts_of_last_over_time", "changes", "quantile_over_time"]) {
      const q = fn === "quantile_over_time" ? `${fn}(0.5, g[1m])` : `${fn}(g[1m])`;
      const e = evaluate(q, g([1]), at(60));
      assert.equal(e.block.series[0].dropName, true, fn);
      // The name stays in the labels until the result is returned (delayed removal).
      assert.deepEqual(
        e.block.series[0].labels,
        makeLabels([
          ["__name__", "g"],
          ["job", "a"],
        ]),
      );
    }
  });
});

describe("stddev and stdvar", () => {
  test("population variance", () => {
    // Mean 5; squared deviations 9 1 1 1 0 0 4 16 sum to 32; over 8: 4.
    const v = [2, 4, 4, 4, 5, 5, 7, 9];
    close(of("stdvar_over_time", v), 4);
    close(of("stddev_over_time", v), 2);
    assert.equal(of("stddev_over_time", [7]), 0);
  });
});

describe("quantile_over_time and mad_over_time", () => {
  test("linear interpolation between ranks", () => {
    assert.equal(only(evaluate("quantile_over_time(0.5, g[1m])", g([4, 1, 3, 2]), at(60))), 2.5);
    // rank 0.9 * 3 = 2.7 between 3 and 4.
    close(only(evaluate("quantile_over_time(0.9, g[1m])", g([4, 1, 3, 2]), at(60))), 3.7);
    assert.equal(only(evaluate("quantile_over_time(0, g[1m])", g([4, 1, 3, 2]), at(60))), 1);
  });

  test("phi outside [0, 1] gives ±Inf and Prometheus's warning at phi's position", () => {
    const e = evaluate("quantile_over_time(2, g[1m])", g([1, 2]), at(60));
    assert.equal(only(e), inf);
    assert.deepEqual(e.warnings, [
      "PromQL warning: quantile value should be between 0 and 1, got 2 (1:20)",
    ]);
    const low = evaluate("quantile_over_time(-0.5, g[1m])", g([1, 2]), at(60));
    assert.equal(only(low), ninf);
    assert.deepEqual(low.warnings, [
      "PromQL warning: quantile value should be between 0 and 1, got -0.5 (1:20)",
    ]);
    const n = evaluate("quantile_over_time(NaN, g[1m])", g([1, 2]), at(60));
    assert.ok(Number.isNaN(only(n) as number));
    assert.deepEqual(n.warnings, [
      "PromQL warning: quantile value should be between 0 and 1, got NaN (1:20)",
    ]);
  });

  test("no warning where no window has a sample", () => {
    assert.deepEqual(evaluate("quantile_over_time(2, g[1m])", g([1]), at(500)).warnings, []);
  });

  test("NaN values sort below every number", () => {
    const nan3 = new Float64Array([2, nan, 1]);
    assert.ok(Number.isNaN(quantileOf(0, nan3, 3)));
    assert.equal(quantileOf(0.5, new Float64Array([2, nan, 1]), 3), 1);
    assert.equal(quantileOf(1, new Float64Array([2, nan, 1]), 3), 2);
  });

  test("mad is the median of absolute deviations from the median; NaN poisons it", () => {
    // Median 3; deviations 2 1 0 1 97; their median 1.
    assert.equal(of("mad_over_time", [1, 2, 3, 4, 100]), 1);
    assert.ok(Number.isNaN(of("mad_over_time", [1, nan, 3]) as number));
  });
});

describe("changes and resets", () => {
  test("count neighbouring pairs", () => {
    assert.equal(of("changes", [1, 1, 2, 2, 1]), 2);
    assert.equal(of("changes", [nan, nan]), 0);
    assert.equal(of("changes", [1, nan]), 1);
    assert.equal(of("changes", [5]), 0);
    assert.equal(of("resets", [5, 3, 4, 1]), 2);
    assert.equal(of("resets", [1, nan, 0]), 0);
  });
});

describe("absent_over_time", () => {
  test("labels come from the selector's equality matchers", () => {
    const e = evaluate(
      'absent_over_time(foo{job="a", inst=~"x", env="p", env="q"}[1m])',
      [],
      at(60),
    );
    assert.equal(e.block.series.length, 1);
    assert.deepEqual(e.block.series[0].labels, makeLabels([["job", "a"]]));
    assert.equal(only(e), 1);
  });

  test("1 at the steps where no series has a sample; no row when every step has one", () => {
    const s = [
      series({ __name__: "foo", a: "1" }, [[0, 5]]),
      series({ __name__: "foo", a: "2" }, [[100, 5]]),
    ];
    // Windows (−60,0] (0,60] (60,120] (120,180]: samples in the first and third.
    const e = evaluate("absent_over_time(foo[1m])", s, range(0, 180, 60));
    assert.deepEqual(rowValues(e.block, 0), [null, 1, null, 1]);
    assert.equal(e.accounted, 2);
    assert.equal(evaluate("absent_over_time(foo[1m])", s, at(0)).block.series.length, 0);
  });
});

/** A matrix block built directly, for walks the selector reader cannot express. */
function block(
  times: number[],
  values: number[],
  rangeMs: number,
  ends: number[],
  dropName = false,
): MatrixBlock {
  const steps: Steps = { startMs: 0, stepMs: 1, count: ends.length };
  return {
    type: "matrix",
    steps,
    series: [{ labels: makeLabels([["__name__", "m"]]), dropName }],
    samples: [
      { timesMs: Float64Array.from(times), values: Float64Array.from(values), count: times.length },
    ],
    rangeMs,
    windowEndMs: Float64Array.from(ends),
    anchored: false,
    smoothed: false,
  };
}

function run(fn: string, m: MatrixBlock): VectorBlock {
  const ctx: FunctionCallContext = {
    annotations: new Annotations(),
    query: `${fn}(m[1m])`,
    accountSamples: () => {},
    call: parseCall(`${fn}(m[1m])`),
    steps: m.steps,
  };
  return OVER_TIME_FUNCTIONS[fn]([m], ctx) as VectorBlock;
}

describe("the window walk", () => {
  test("a row whose input already dropped its name keeps dropName under last_over_time", () => {
    assert.equal(run("last_over_time", block([0], [1], 10, [0], true)).series[0].dropName, true);
  });

  test("window ends that repeat (@) or go back are each answered from their own window", () => {
    const m = block([10, 20, 30], [1, 2, 3], 15, [30, 30, 15, 30]);
    assert.deepEqual(rowValues(run("sum_over_time", m), 0), [5, 5, 1, 5]);
  });

  test("matches a per-window filter on random series and windows", () => {
    const fns = [
      "count_over_time",
      "sum_over_time",
      "first_over_time",
      "last_over_time",
      "max_over_time",
    ];
    const arb = fc.record({
      gaps: fc.array(fc.integer({ min: 1, max: 20 }), { maxLength: 40 }),
      values: fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 40, maxLength: 40 }),
      rangeMs: fc.integer({ min: 1, max: 60 }),
      ends: fc.array(fc.integer({ min: -10, max: 400 }), { minLength: 1, maxLength: 30 }),
      sorted: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, ({ gaps, values, rangeMs, ends, sorted }) => {
        const times: number[] = [];
        let t = 0;
        for (const d of gaps) {
          t += d;
          times.push(t);
        }
        const vals = values.slice(0, times.length);
        const windowEnds = sorted ? [...ends].sort((a, b) => a - b) : ends;
        const m = block(times, vals, rangeMs, windowEnds);
        for (const fn of fns) {
          const out = rowValues(run(fn, m), 0);
          windowEnds.forEach((end, j) => {
            const inWindow = vals.filter((_, i) => times[i] > end - rangeMs && times[i] <= end);
            const want =
              inWindow.length === 0
                ? null
                : fn === "count_over_time"
                  ? inWindow.length
                  : fn === "sum_over_time"
                    ? inWindow.reduce((a, b) => a + b, 0)
                    : fn === "first_over_time"
                      ? inWindow[0]
                      : fn === "last_over_time"
                        ? inWindow[inWindow.length - 1]
                        : Math.max(...inWindow);
            assert.equal(out[j], want, `${fn} step ${j}`);
          });
        }
      }),
    );
  });
});
