// count_values: per step, how many rows of each group have each value. The
// value becomes a label (Go's shortest fixed-point form, "NaN", "+Inf"), so
// groups appear as values do; a row whose value did not change since its
// previous sample reuses that sample's group instead of building labels again.

import type { Aggregate } from "../ast.js";
import type { SeriesMeta, Value, VectorBlock } from "../block.js";
import { EvaluationError } from "../errors.js";
import { formatFloatFixed, goQuote } from "../go-format.js";
import { type Labels, labelsKey, withLabel } from "../labels.js";
import { groupLabelsOf, makeGrouping } from "./grouping.js";

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The value label of count_values: a string that is a valid (UTF-8) label name. */
function valueLabelOf(param: Value | null): string {
  if (param === null || param.type !== "string") {
    throw new EvaluationError(
      `expected a string parameter for count_values, got ${param === null ? "none" : param.type}`,
    );
  }
  const name = param.value;
  if (name === "" || LONE_SURROGATE.test(name)) {
    throw new EvaluationError(`invalid label name ${goQuote(name)}`);
  }
  return name;
}

export function countValues(node: Aggregate, input: VectorBlock, param: Value | null): VectorBlock {
  const label = valueLabelOf(param);
  const grouping = makeGrouping(
    node.without ? node.grouping : [...node.grouping, label],
    node.without,
  );
  const n = input.steps.count;
  const groups: Labels[] = [];
  const counts: Float64Array[] = [];
  const byKey = new Map<string, number>();
  for (let r = 0; r < input.series.length; r++) {
    let lastValue = 0;
    let lastGroup = -1;
    for (let j = 0; j < n; j++) {
      if (input.present[r * n + j] === 0) continue;
      const v = input.values[r * n + j];
      if (lastGroup < 0 || !Object.is(v, lastValue)) {
        const labels = withLabel(input.series[r].labels, label, formatFloatFixed(v));
        const groupLabels = groupLabelsOf(labels, grouping);
        const key = labelsKey(groupLabels);
        let g = byKey.get(key);
        if (g === undefined) {
          g = groups.length;
          byKey.set(key, g);
          groups.push(groupLabels);
          counts.push(new Float64Array(n));
        }
        lastValue = v;
        lastGroup = g;
      }
      counts[lastGroup][j]++;
    }
  }
  const values = new Float64Array(groups.length * n);
  const present = new Uint8Array(groups.length * n);
  counts.forEach((row, g) => {
    for (let j = 0; j < n; j++) {
      if (row[j] === 0) continue;
      values[g * n + j] = row[j];
      present[g * n + j] = 1;
    }
  });
  const series: SeriesMeta[] = groups.map((labels) => ({ labels, dropName: false }));
  return { type: "vector", steps: input.steps, series, values, present };
}
