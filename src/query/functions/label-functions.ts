// label_replace and label_join: they rewrite each series' labels (the metric
// name included) and leave the samples alone. Rows that end with the same
// label set are merged into one, and fail the query only where two of them
// have a sample at the same step, as Prometheus 3 does.

import RE2 from "re2";
import type { SeriesMeta, VectorBlock } from "../block.js";
import { EvaluationError } from "../errors.js";
import { getLabel, type Labels, labelsKey, METRIC_NAME, withLabel } from "../labels.js";
import type { FunctionCallContext, FunctionImpl } from "./function-impl.js";
import { newVector, stringArg, vectorArg } from "./instant-args.js";

export const DUPLICATE_LABELSET = "vector cannot contain metrics with the same labelset";

/**
 * Whether a label name is valid under Prometheus 3's UTF-8 names: any
 * non-empty valid UTF-8. A JavaScript string cannot hold invalid UTF-8, so a
 * lone surrogate or U+FFFD (what a decoder leaves for an invalid byte, such
 * as the `"\xff"` of Prometheus's tests) stands for it.
 */
export function isValidLabelName(name: string): boolean {
  return name !== "" && !LONE_SURROGATE.test(name) && !name.includes("\ufffd");
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/**
 * Expands `$1`, `${1}`, `$name` and `${name}` in a template as Go's
 * regexp.Expand does: a name is the longest run of letters, digits and `_`
 * (so `$1x` means group "1x"), `$$` is a `$`, a group that does not exist or
 * did not match expands to nothing, and a malformed reference is kept as text.
 */
export function expandTemplate(
  template: string,
  match: readonly (string | undefined)[],
  groups: Readonly<Record<string, string | undefined>> | undefined,
): string {
  let out = "";
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf("$", i);
    if (dollar < 0) break;
    out += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === "$") {
      out += "$";
      i++;
      continue;
    }
    const brace = template[i] === "{";
    const start = brace ? i + 1 : i;
    let end = start;
    while (end < template.length) {
      const cp = template.codePointAt(end) as number;
      const ch = String.fromCodePoint(cp);
      if (!NAME_CHAR.test(ch)) break;
      end += ch.length;
    }
    if (end === start || (brace && template[end] !== "}")) {
      out += "$"; // malformed: the `$` is text, what follows is read again
      continue;
    }
    const name = template.slice(start, end);
    i = brace ? end + 1 : end;
    if (/^(?:0|[1-9]\d{0,8})$/.test(name)) {
      // Go stops reading a group number at 1e8 and refuses leading zeros.
      const num = Number(name);
      out += num < match.length ? (match[num] ?? "") : "";
    } else {
      out += groups?.[name] ?? "";
    }
  }
  return out + template.slice(i);
}

/** Merges rows with equal label sets; two samples at one step of such rows fail the query. */
export function mergeSameLabelsets(
  ctx: FunctionCallContext,
  input: VectorBlock,
  series: SeriesMeta[],
): VectorBlock {
  const count = input.steps.count;
  const byKey = new Map<string, number>();
  const target = new Int32Array(series.length);
  const outSeries: SeriesMeta[] = [];
  for (let r = 0; r < series.length; r++) {
    const key = labelsKey(series[r].labels);
    let t = byKey.get(key);
    if (t === undefined) {
      t = outSeries.length;
      byKey.set(key, t);
      outSeries.push(series[r]);
    }
    target[r] = t;
  }
  const values = new Float64Array(outSeries.length * count);
  const present = new Uint8Array(outSeries.length * count);
  for (let r = 0; r < series.length; r++) {
    const from = r * count;
    const to = target[r] * count;
    for (let j = 0; j < count; j++) {
      if (input.present[from + j] !== 1) continue;
      if (present[to + j] === 1) throw new EvaluationError(DUPLICATE_LABELSET);
      present[to + j] = 1;
      values[to + j] = input.values[from + j];
    }
  }
  return newVector(ctx, outSeries, values, present);
}

/** label_replace(v, dst, replacement, src, regex): sets dst where the whole of src matches. */
const labelReplace: FunctionImpl = (args, ctx) => {
  const input = vectorArg(args, 0, ctx);
  const dst = stringArg(args, 1, ctx);
  const replacement = stringArg(args, 2, ctx);
  const src = stringArg(args, 3, ctx);
  const pattern = stringArg(args, 4, ctx);
  let regex: RE2;
  try {
    regex = new RE2(`^(?s:${pattern})$`);
  } catch {
    throw new EvaluationError(`invalid regular expression in label_replace(): ${pattern}`);
  }
  if (!isValidLabelName(dst)) {
    throw new EvaluationError(`invalid destination label name in label_replace(): ${dst}`);
  }
  const series = input.series.map((s): SeriesMeta => {
    const m = regex.exec(getLabel(s.labels, src));
    if (m === null) return s;
    const value = expandTemplate(replacement, m, m.groups);
    return {
      labels: withLabel(s.labels, dst, value),
      dropName: dst === METRIC_NAME ? false : s.dropName,
    };
  });
  return mergeSameLabelsets(ctx, input, series);
};

/** label_join(v, dst, separator, src...): dst is the src values joined by the separator. */
const labelJoin: FunctionImpl = (args, ctx) => {
  const input = vectorArg(args, 0, ctx);
  const dst = stringArg(args, 1, ctx);
  const separator = stringArg(args, 2, ctx);
  const sources: string[] = [];
  for (let i = 3; i < args.length; i++) {
    const src = stringArg(args, i, ctx);
    if (!isValidLabelName(src)) {
      throw new EvaluationError(`invalid source label name in label_join(): ${src}`);
    }
    sources.push(src);
  }
  if (!isValidLabelName(dst)) {
    throw new EvaluationError(`invalid destination label name in label_join(): ${dst}`);
  }
  const series = input.series.map((s): SeriesMeta => {
    const labels: Labels = s.labels;
    const value = sources.map((name) => getLabel(labels, name)).join(separator);
    return {
      labels: withLabel(labels, dst, value),
      dropName: dst === METRIC_NAME ? false : s.dropName,
    };
  });
  return mergeSameLabelsets(ctx, input, series);
};

export const LABEL_FUNCTIONS: Record<string, FunctionImpl> = {
  label_replace: labelReplace,
  label_join: labelJoin,
};
