// Vector matching: the signature a row is matched by under on(...) or
// ignoring(...), and the labels of a matched pair's result (Prometheus's
// resultMetric): the "many" side's labels, without the metric name (and the
// type and unit metadata labels) for arithmetic, cut to the on() labels or
// without the ignored ones for one-to-one matching, with group_x's include
// labels copied from the "one" side (and removed when it lacks them).

import type { VectorMatching } from "../ast.js";
import { getLabel, type Labels, labelsKey, METRIC_NAME, withLabel } from "../labels.js";

const METADATA_LABELS = new Set([METRIC_NAME, "__type__", "__unit__"]);

/** The labels a row is matched on: the on() labels, or all but the ignored ones and the name. */
export function matchLabels(labels: Labels, matching: VectorMatching): Labels {
  const names = new Set(matching.labels);
  return matching.on
    ? labels.filter((l) => names.has(l.name))
    : labels.filter((l) => l.name !== METRIC_NAME && !names.has(l.name));
}

/** Signature ordinals: rows of both sides with equal match labels share an ordinal. */
export class Signatures {
  private readonly byKey = new Map<string, number>();

  get size(): number {
    return this.byKey.size;
  }

  of(labels: Labels, matching: VectorMatching): number {
    const key = labelsKey(matchLabels(labels, matching));
    let sig = this.byKey.get(key);
    if (sig === undefined) {
      sig = this.byKey.size;
      this.byKey.set(key, sig);
    }
    return sig;
  }
}

/** The labels of the result of matching `many` (the left side, or the right for group_right) with `one`. */
export function resultLabels(
  many: Labels,
  one: Labels,
  matching: VectorMatching,
  dropMetadata: boolean,
): Labels {
  let out: Labels = dropMetadata ? many.filter((l) => !METADATA_LABELS.has(l.name)) : many;
  if (matching.card === "one-to-one") {
    const names = new Set(matching.labels);
    out = out.filter((l) => names.has(l.name) === matching.on);
  }
  for (const name of matching.include) out = withLabel(out, name, getLabel(one, name));
  return out;
}
