import assert from "node:assert/strict";
import { test } from "node:test";
import { INSTANT_FUNCTIONS } from "./instant-functions.js";

// Prometheus's functions (promql/parser/functions.go) that take no range vector.
const NOT_RANGE = `abs absent acos acosh asin asinh atan atanh ceil clamp clamp_max clamp_min cos
  cosh days_in_month day_of_month day_of_week day_of_year deg exp floor histogram_avg
  histogram_count histogram_sum histogram_stddev histogram_stdvar histogram_fraction
  histogram_quantile histogram_quantiles hour label_replace label_join max_of min_of ln log10
  log2 minute month pi rad round scalar sgn sin sinh sort sort_desc sort_by_label
  sort_by_label_desc sqrt start_timestamp tan tanh time timestamp vector year`.split(/\s+/);

// Folded into number literals before evaluation (start, end, range, step), or
// needing a storage lookup the engine does (info).
const ELSEWHERE = ["start", "end", "range", "step", "info"];

test("every function without a range-vector argument is in the table", () => {
  const missing = NOT_RANGE.filter((name) => !(name in INSTANT_FUNCTIONS));
  assert.deepEqual(missing, []);
  for (const name of ELSEWHERE) assert.ok(!(name in INSTANT_FUNCTIONS), name);
  assert.equal(Object.keys(INSTANT_FUNCTIONS).length, NOT_RANGE.length);
});
