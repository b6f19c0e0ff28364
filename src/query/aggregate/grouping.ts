// Which output group each input row falls in under by (...) / without (...),
// and the labels of that group, as Prometheus groups them: `by` keeps only
// the listed labels (`__name__` too when listed), `without` drops the listed
// labels and always `__name__`, neither keeps no label at all.

import type { SeriesMeta } from "../block.js";
import { type Labels, labelsKey, METRIC_NAME } from "../labels.js";

/** A grouping clause with its label names as a set. */
export interface Grouping {
  /** Sorted label names of the clause. */
  readonly names: readonly string[];
  readonly without: boolean;
  readonly nameSet: ReadonlySet<string>;
}

export function makeGrouping(names: readonly string[], without: boolean): Grouping {
  const sorted = [...new Set(names)].sort();
  return { names: sorted, without, nameSet: new Set(sorted) };
}

/** The labels of the group a series with `labels` belongs to. */
export function groupLabelsOf(labels: Labels, grouping: Grouping): Labels {
  const { nameSet } = grouping;
  if (grouping.without) {
    return labels.filter((l) => l.name !== METRIC_NAME && !nameSet.has(l.name));
  }
  if (nameSet.size === 0) return [];
  return labels.filter((l) => nameSet.has(l.name));
}

/** Rows assigned to groups, groups in order of first appearance. */
export interface GroupAssignment {
  /** Group index of each input row. */
  readonly groupOf: Int32Array;
  readonly groupLabels: Labels[];
  readonly groupKeys: string[];
}

export function assignGroups(series: readonly SeriesMeta[], grouping: Grouping): GroupAssignment {
  const groupOf = new Int32Array(series.length);
  const groupLabels: Labels[] = [];
  const groupKeys: string[] = [];
  const byKey = new Map<string, number>();
  for (let r = 0; r < series.length; r++) {
    const labels = groupLabelsOf(series[r].labels, grouping);
    const key = labelsKey(labels);
    let g = byKey.get(key);
    if (g === undefined) {
      g = groupLabels.length;
      byKey.set(key, g);
      groupLabels.push(labels);
      groupKeys.push(key);
    }
    groupOf[r] = g;
  }
  return { groupOf, groupLabels, groupKeys };
}
