// The experimental info() function: enriches each series with the data
// labels of the info series (target_info by default) that share its
// identifying labels (instance and job), as Prometheus 3 defines it. The
// info series are read by a fetch of their own, planned with the others.

import { type Matcher, newMatcher } from "../../index/index.js";
import type { Call, Expr, LabelMatcherNode, VectorSelector } from "../ast.js";
import type { SeriesMeta, Steps, VectorBlock } from "../block.js";
import type { StoredSeries } from "../engine-types.js";
import { EvaluationError } from "../errors.js";
import {
  getLabel,
  type Label,
  type Labels,
  labelsKey,
  labelsText,
  METRIC_NAME,
  makeLabels,
} from "../labels.js";
import { selectInstant } from "./selectors.js";

const TARGET_INFO = "target_info";
const IDENTIFYING = ["instance", "job"];

/** The second argument's matchers: those on `__name__` pick the info metrics, the rest its data labels. */
export function infoMatchers(call: Call): { name: LabelMatcherNode[]; data: LabelMatcherNode[] } {
  const sel = call.args[1] as VectorSelector | undefined;
  const all = sel?.matchers ?? [];
  return {
    name: all.filter((m) => m.name === METRIC_NAME),
    data: all.filter((m) => m.name !== METRIC_NAME),
  };
}

/** The `__name__` matchers that select info series: a positive one as written, or `.+_info`, or target_info. */
export function effectiveNameMatchers(name: LabelMatcherNode[]): LabelMatcherNode[] {
  if (name.some((m) => m.op === "=" || m.op === "=~")) return name;
  if (name.length > 0) return [{ name: METRIC_NAME, op: "=~", value: ".+_info" }, ...name];
  return [{ name: METRIC_NAME, op: "=", value: TARGET_INFO }];
}

/** The matchers the info series are fetched with. */
export function infoFetchMatchers(call: Call): LabelMatcherNode[] {
  const { name, data } = infoMatchers(call);
  return [...data, ...effectiveNameMatchers(name)];
}

/** The first vector selector of the first argument: its `@` and offset govern when info series are read. */
export function firstSelector(expr: Expr): VectorSelector | null {
  switch (expr.kind) {
    case "vectorSelector":
      return expr;
    case "matrixSelector":
      return expr.vector;
    case "number":
    case "string":
      return null;
    case "paren":
    case "unary":
    case "subquery":
      return firstSelector(expr.expr);
    case "call":
      for (const a of expr.args) {
        const s = firstSelector(a);
        if (s !== null) return s;
      }
      return null;
    case "aggregate":
      return (expr.param !== null ? firstSelector(expr.param) : null) ?? firstSelector(expr.expr);
    case "binary":
      return firstSelector(expr.lhs) ?? firstSelector(expr.rhs);
  }
}

function matcherOf(m: LabelMatcherNode): Matcher {
  return newMatcher(m.op, m.name, m.value);
}

/** Enriches `base` at every step with the info series' data labels. */
export function evalInfo(
  call: Call,
  base: VectorBlock,
  infoSeries: readonly StoredSeries[],
  refs: Float64Array,
  lookbackMs: number,
  steps: Steps,
): VectorBlock {
  const { name, data } = infoMatchers(call);
  const nameMatchers = effectiveNameMatchers(name).map(matcherOf);
  const dataMatchers = new Map<string, Matcher[]>();
  for (const m of data)
    dataMatchers.set(m.name, [...(dataMatchers.get(m.name) ?? []), matcherOf(m)]);
  const allMatchEmpty = [...dataMatchers.values()].every((ms) => ms.every((m) => m.matches("")));

  // Info series themselves are not enriched.
  const ignored = base.series.map((s) =>
    nameMatchers.every((m) => m.matches(getLabel(s.labels, METRIC_NAME))),
  );
  const anyIdentifying = base.series.some(
    (s, r) => !ignored[r] && IDENTIFYING.some((l) => getLabel(s.labels, l) !== ""),
  );
  const infos = anyIdentifying ? infoSeries : [];
  // The info series at each step, as an instant selector reads them (their sample times tell the newest).
  const metas: SeriesMeta[] = infos.map((s) => ({ labels: s.labels, dropName: false }));
  const infoBlock = selectInstant(infos, metas, steps, refs, lookbackMs).block;
  const infoNames = [...new Set(infoBlock.series.map((s) => getLabel(s.labels, METRIC_NAME)))];
  const signature = (infoName: string, labels: Labels) =>
    `${infoName}\xff${IDENTIFYING.map((l) => `${l}=${getLabel(labels, l)}`).join("\xff")}`;
  const infoSigs = infoBlock.series.map((s) =>
    signature(getLabel(s.labels, METRIC_NAME), s.labels),
  );

  const n = steps.count;
  const rows = new Map<string, { meta: SeriesMeta; values: Float64Array; present: Uint8Array }>();
  const newest = new Map<string, number>();
  for (let j = 0; j < n; j++) {
    newest.clear();
    for (let i = 0; i < infoBlock.series.length; i++) {
      if (infoBlock.present[i * n + j] === 0) continue;
      const t = (infoBlock.sampleTimesMs as Float64Array)[i * n + j];
      const prior = newest.get(infoSigs[i]);
      if (prior === undefined) newest.set(infoSigs[i], i);
      else {
        const pt = (infoBlock.sampleTimesMs as Float64Array)[prior * n + j];
        if (pt === t) {
          throw new EvaluationError(
            `found duplicate series for info metric: existing ${labelsText(infoBlock.series[prior].labels)} @ ${pt}, new ${labelsText(infoBlock.series[i].labels)} @ ${t}`,
          );
        }
        if (t > pt) newest.set(infoSigs[i], i);
      }
    }
    for (let r = 0; r < base.series.length; r++) {
      if (base.present[r * n + j] === 0) continue;
      const meta = base.series[r];
      let labels: Labels = meta.labels;
      if (!ignored[r]) {
        const added = new Map<string, string>();
        let matched = 0;
        for (const infoName of infoNames) {
          const i = newest.get(signature(infoName, meta.labels));
          if (i === undefined) continue;
          matched++;
          for (const l of infoBlock.series[i].labels) {
            if (l.name === METRIC_NAME) continue;
            if (dataMatchers.size > 0 && !dataMatchers.has(l.name)) continue;
            const have = added.get(l.name);
            if (have !== undefined && have !== l.value)
              throw new EvaluationError(`conflicting label: ${l.name}`);
            if (getLabel(meta.labels, l.name) !== "") continue;
            added.set(l.name, l.value);
          }
        }
        if (matched === 0 && !allMatchEmpty) continue;
        if (added.size > 0)
          labels = makeLabels([
            ...meta.labels.map((l: Label) => [l.name, l.value] as const),
            ...added,
          ]);
      }
      const key = `${labelsKey(labels)}${meta.dropName ? "1" : "0"}`;
      let row = rows.get(key);
      if (row === undefined) {
        row = {
          meta: { labels, dropName: meta.dropName },
          values: new Float64Array(n),
          present: new Uint8Array(n),
        };
        rows.set(key, row);
      }
      if (row.present[j] === 1)
        throw new EvaluationError("vector cannot contain metrics with the same labelset");
      row.present[j] = 1;
      row.values[j] = base.values[r * n + j];
    }
  }
  const out = [...rows.values()];
  const values = new Float64Array(out.length * n);
  const present = new Uint8Array(out.length * n);
  out.forEach((row, k) => {
    values.set(row.values, k * n);
    present.set(row.present, k * n);
  });
  return { type: "vector", steps, series: out.map((r) => r.meta), values, present };
}
