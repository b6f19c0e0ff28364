// rate, increase, delta, irate, idelta, deriv, predict_linear and
// double_exponential_smoothing on hand-computed windows. Expected values come
// from the formulas (worked out in the comments), not from running the code.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { EvaluationError } from "../errors.js";
import { at, close, evaluate, only, range, rowValues, series } from "./over-time-testing.js";

// Five samples 10 s apart, 10 s from each edge of the window (0, 60].
const even = (values: number[], name = "foo_total") =>
  series(
    { __name__: name },
    values.map((v, i) => [10 + 10 * i, v]),
  );

describe("rate, increase, delta: extrapolation", () => {
  test("samples within 1.1 intervals of both edges extrapolate all the way", () => {
    // Change 40 over 40 s sampled; 10 s to each edge < 11 s threshold: factor (40+10+10)/40.
    const s = [even([10, 20, 30, 40, 50])];
    close(only(evaluate("increase(foo_total[1m])", s, at(60))), 60);
    close(only(evaluate("rate(foo_total[1m])", s, at(60))), 1);
    close(only(evaluate("delta(foo_total[1m])", s, at(60))), 60);
  });

  test("a counter is not extrapolated back past its zero point; delta is", () => {
    // Change 40, first value 2: zero is 40 s * 2/40 = 2 s before the first sample.
    const s = [even([2, 12, 22, 32, 42])];
    close(only(evaluate("increase(foo_total[1m])", s, at(60))), (40 * (40 + 2 + 10)) / 40);
    close(only(evaluate("delta(foo_total[1m])", s, at(60))), (40 * (40 + 10 + 10)) / 40);
  });

  test("an edge farther than 1.1 intervals away is extrapolated by half an interval", () => {
    // Samples at 30, 40, 50 s in (0, 60]: 30 s to the start >= 11 s, so 5 s; 10 s to the end.
    const s = [
      series({ __name__: "foo_total" }, [
        [30, 100],
        [40, 110],
        [50, 120],
      ]),
    ];
    const inc = (20 * (20 + 5 + 10)) / 20;
    close(only(evaluate("increase(foo_total[1m])", s, at(60))), inc);
    close(only(evaluate("rate(foo_total[1m])", s, at(60))), inc / 60);
  });

  test("the threshold is 1.1 average intervals", () => {
    // Samples 10 s apart from 12 s to 52 s in (0, 60]: 12 s to the start is past 11 s, so
    // 5 s; 8 s to the end is within, so 8 s. delta: 40 * (40 + 5 + 8) / 40.
    const s = [
      series(
        { __name__: "g" },
        [12, 22, 32, 42, 52].map((t, i) => [t, 10 * i] as [number, number]),
      ),
    ];
    close(only(evaluate("delta(g[1m])", s, at(60))), 53);
  });

  test("a counter reset adds the value before the drop; delta ignores it", () => {
    // 10 20 5 15 at 15..60 s: increase 15-10+20 = 25; 15 s to the start < 16.5; zero point
    // 45 s * 10/25 = 18 s back, farther than 15 s; 0 s to the end: factor 60/45.
    const s = [
      series({ __name__: "foo_total" }, [
        [15, 10],
        [30, 20],
        [45, 5],
        [60, 15],
      ]),
    ];
    close(only(evaluate("increase(foo_total[1m])", s, at(60))), (25 * 60) / 45);
    close(only(evaluate("delta(foo_total[1m])", s, at(60))), (5 * 60) / 45);
  });

  test("one sample in the window gives nothing", () => {
    const s = [series({ __name__: "foo_total" }, [[30, 1]])];
    assert.equal(only(evaluate("rate(foo_total[1m])", s, at(60))), null);
  });

  test("the window is left-open: a sample exactly at its start is outside", () => {
    const s = [
      series({ __name__: "foo_total" }, [
        [0, 0],
        [60, 60],
      ]),
    ];
    assert.equal(only(evaluate("increase(foo_total[1m])", s, at(60))), null);
    // With a 61 s range both are in: change 60 over 60 s, 1 s to the start, 0 to the end;
    // zero point 0 s back (first value 0) clamps the start.
    close(only(evaluate("increase(foo_total[61s])", s, at(60))), 60);
  });

  test("NaN and infinite values flow through", () => {
    const nan = [
      series({ __name__: "foo_total" }, [
        [20, 1],
        [40, Number.NaN],
      ]),
    ];
    assert.ok(Number.isNaN(only(evaluate("rate(foo_total[1m])", nan, at(60))) as number));
    const inf = [
      series({ __name__: "foo_total" }, [
        [20, 1],
        [40, Number.POSITIVE_INFINITY],
      ]),
    ];
    assert.equal(only(evaluate("increase(foo_total[1m])", inf, at(60))), Number.POSITIVE_INFINITY);
  });

  test("offset moves the window, the range alone sets the per-second divisor", () => {
    // Window (−10, 50] with offset 10 s: samples 10..50 s, 20 s to the start >= 11, so 5 s;
    // 0 s to the end; counter zero at 40*(10/40) = 10 s back, farther than 5.
    const s = [even([10, 20, 30, 40, 50])];
    close(only(evaluate("rate(foo_total[1m] offset 10s)", s, at(60))), (40 * (40 + 5)) / 40 / 60);
  });
});

describe("rate and increase: the non-counter info", () => {
  test("a name without a counter suffix gets Prometheus's info at the selector's position", () => {
    const s = [
      series({ __name__: "foo", job: "a" }, [
        [10, 1],
        [20, 2],
      ]),
    ];
    const e = evaluate("rate(foo[1m])", s, at(60));
    assert.deepEqual(e.infos, [
      'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "foo" (1:6)',
    ]);
    assert.deepEqual(evaluate("increase(foo[1m])", s, at(60)).infos.length, 1);
    assert.deepEqual(evaluate("delta(foo[1m])", s, at(60)).infos, []);
  });

  test("counter suffixes, nameless series and series without output give no info", () => {
    for (const name of ["a_total", "a_sum", "a_count", "a_bucket"]) {
      const s = [
        series({ __name__: name }, [
          [10, 1],
          [20, 2],
        ]),
      ];
      assert.deepEqual(evaluate(`rate(${name}[1m])`, s, at(60)).infos, [], name);
    }
    const single = [series({ __name__: "foo" }, [[10, 1]])];
    assert.deepEqual(evaluate("rate(foo[1m])", single, at(60)).infos, []);
  });
});

describe("irate and idelta", () => {
  const s = (values: number[]) => [
    series(
      { __name__: "x_total" },
      values.map((v, i) => [10 * i, v] as [number, number]),
    ),
  ];

  test("use the last two samples of the window", () => {
    close(only(evaluate("irate(x_total[1m])", s([10, 20, 25]), at(20))), 0.5);
    close(only(evaluate("idelta(x_total[1m])", s([10, 20, 25]), at(20))), 5);
  });

  test("irate reads a drop as a restart from zero; idelta does not", () => {
    close(only(evaluate("irate(x_total[1m])", s([10, 20, 5]), at(20))), 0.5);
    close(only(evaluate("idelta(x_total[1m])", s([10, 20, 5]), at(20))), -15);
  });

  test("need two samples", () => {
    assert.equal(only(evaluate("irate(x_total[5s])", s([10, 20, 5]), at(20))), null);
  });
});

describe("deriv and predict_linear", () => {
  const line = [
    series({ __name__: "g" }, [
      [0, 1],
      [10, 3],
      [20, 5],
    ]),
  ];

  test("deriv is the least-squares slope per second", () => {
    close(only(evaluate("deriv(g[1m])", line, at(20))), 0.2);
    // (0,0) (10,1) (20,3): mean x 10, mean y 4/3; cov 30, var 200.
    const bent = [
      series({ __name__: "g" }, [
        [0, 0],
        [10, 1],
        [20, 3],
      ]),
    ];
    close(only(evaluate("deriv(g[1m])", bent, at(20))), 0.15);
    const peak = [
      series({ __name__: "g" }, [
        [0, 0],
        [10, 10],
        [20, 0],
      ]),
    ];
    close(only(evaluate("deriv(g[1m])", peak, at(20))), 0);
  });

  test("a constant series has slope 0, an infinite constant NaN", () => {
    const c = [
      series({ __name__: "g" }, [
        [0, 7],
        [10, 7],
      ]),
    ];
    assert.equal(only(evaluate("deriv(g[1m])", c, at(20))), 0);
    close(only(evaluate("predict_linear(g[1m], 100)", c, at(20))), 7);
    const inf = [
      series({ __name__: "g" }, [
        [0, Number.POSITIVE_INFINITY],
        [10, Number.POSITIVE_INFINITY],
      ]),
    ];
    assert.ok(Number.isNaN(only(evaluate("deriv(g[1m])", inf, at(20))) as number));
  });

  test("predict_linear extrapolates from the evaluation time, not the window's end", () => {
    // Line y = 1 + 0.2 t. At 20 s: 5 + 0.2*60. With offset 10 s evaluated at 30 s the fit
    // is the same line, read at 30 s: 7 + 0.2*60.
    close(only(evaluate("predict_linear(g[1m], 60)", line, at(20))), 17);
    close(only(evaluate("predict_linear(g[30s] offset 10s, 60)", line, at(30))), 19);
    close(only(evaluate("predict_linear(g[1m], 1m)", line, at(20))), 17);
  });

  test("need two samples", () => {
    assert.equal(only(evaluate("deriv(g[5s])", line, at(20))), null);
  });
});

describe("double_exponential_smoothing", () => {
  const s = [
    series({ __name__: "g" }, [
      [0, 1],
      [10, 3],
      [20, 6],
    ]),
  ];

  test("smooths level and trend", () => {
    // s=1, b=2; i=1: s = 0.5*3 + 0.5*(1+2) = 3; i=2: b = 0.5*(3-1) + 0.5*2 = 2,
    // s = 0.5*6 + 0.5*(3+2) = 5.5.
    close(only(evaluate("double_exponential_smoothing(g[1m], 0.5, 0.5)", s, at(20))), 5.5);
    // sf 0.2, tf 0.3: i=1: s = 0.6 + 0.8*3 = 3; i=2: b = 0.3*2 + 0.7*2 = 2, s = 1.2 + 0.8*5 = 5.2.
    close(only(evaluate("double_exponential_smoothing(g[1m], 0.2, 0.3)", s, at(20))), 5.2);
  });

  test("factors outside (0, 1) fail with Prometheus's messages", () => {
    assert.throws(
      () => evaluate("double_exponential_smoothing(g[1m], 1, 0.5)", s, at(20)),
      (e: unknown) =>
        e instanceof EvaluationError &&
        e.message === "invalid smoothing factor. Expected: 0 < sf < 1, got: 1.000000",
    );
    assert.throws(() => evaluate("double_exponential_smoothing(g[1m], 0.5, 0)", s, at(20)), {
      message: "invalid trend factor. Expected: 0 < tf < 1, got: 0.000000",
    });
  });

  test("factors are not checked where no window holds a sample; one sample gives nothing", () => {
    assert.equal(only(evaluate("double_exponential_smoothing(g[1m], 2, 2)", s, at(500))), null);
    assert.equal(only(evaluate("double_exponential_smoothing(g[5s], 0.5, 0.5)", s, at(20))), null);
  });
});

describe("anchored and smoothed selectors", () => {
  test("anchored increase starts at the last sample at or before the window", () => {
    // 5 8 2 4 at 0..45 s; (15, 45]: anchor 8 at 15 s, drop to 2 adds 8: 4 - 8 + 8 = 4.
    const s = [
      series({ __name__: "c_total" }, [
        [0, 5],
        [15, 8],
        [30, 2],
        [45, 4],
      ]),
    ];
    close(only(evaluate("increase(c_total[30s] anchored)", s, at(45))), 4);
    close(only(evaluate("rate(c_total[30s] anchored)", s, at(45))), 4 / 30);
    close(only(evaluate("delta(c_total[30s] anchored)", s, at(45))), -4);
  });

  test("an anchor older than the lookback is not used", () => {
    const s = [
      series({ __name__: "c_total" }, [
        [0, 1],
        [100, 3],
      ]),
    ];
    close(only(evaluate("increase(c_total[30s] anchored)", s, at(110))), 2);
    close(only(evaluate("increase(c_total[30s] anchored)", s, at(110), { lookbackMs: 60_000 })), 0);
  });

  test("smoothed interpolates both edges", () => {
    // y = t on samples 0, 20, 40, 60 s; (15, 45] reads 15 and 45 on the line.
    const s = [
      series({ __name__: "c_total" }, [
        [0, 0],
        [20, 20],
        [40, 40],
        [60, 60],
      ]),
    ];
    close(only(evaluate("increase(c_total[30s] smoothed)", s, at(45))), 30);
    close(only(evaluate("rate(c_total[30s] smoothed)", s, at(45))), 1);
  });

  test("anchored changes and resets count from the anchor", () => {
    const s = [
      series({ __name__: "g" }, [
        [0, 1],
        [30, 2],
        [60, 3],
      ]),
    ];
    assert.equal(only(evaluate("changes(g[30s] anchored)", s, at(60))), 1);
    assert.equal(only(evaluate("changes(g[30s])", s, at(60))), 0);
  });

  test("other functions refuse them with Prometheus's error", () => {
    const s = [series({ __name__: "g" }, [[0, 1]])];
    assert.throws(() => evaluate("irate(g[1m] anchored)", s, at(0)), {
      message:
        "anchored modifier can only be used with: changes, delta, increase, rate, resets - not with irate",
    });
    assert.throws(() => evaluate("resets(g[1m] smoothed)", s, at(0)), {
      message: "smoothed modifier can only be used with: delta, increase, rate - not with resets",
    });
  });
});

describe("over many steps", () => {
  test("each step sees its own window and the name is dropped", () => {
    const s = [even([10, 20, 30, 40, 50])];
    const e = evaluate("idelta(foo_total[20s])", s, range(0, 60, 15));
    // Windows (−20,0] (−5,15] (10,30] (25,45] (40,60]: two samples (20, 30 and 30, 40) only
    // in the third and fourth; 40 is outside the last (left-open).
    assert.deepEqual(rowValues(e.block, 0), [null, null, 10, 10, null]);
    assert.equal(e.block.series[0].dropName, true);
    assert.equal(e.accounted, 2);
  });
});
