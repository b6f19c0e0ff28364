// and, or, unless between two vectors, step by step, on the match signature
// of on(...)/ignoring(...): `and` keeps the left rows whose signature the
// right has at the step, `unless` those it has not, `or` keeps every left
// row and the right rows whose signature the left lacks at the step.

import type { SetOp, VectorMatching } from "../ast.js";
import { dropEmptyRows, type VectorBlock } from "../block.js";
import { Signatures } from "./matching.js";
import { OutputRows } from "./output-rows.js";

export function setOperation(
  op: SetOp,
  matching: VectorMatching,
  lhs: VectorBlock,
  rhs: VectorBlock,
): VectorBlock {
  const n = lhs.steps.count;
  const sigs = new Signatures();
  const sigL = Int32Array.from(lhs.series, (s) => sigs.of(s.labels, matching));
  const sigR = Int32Array.from(rhs.series, (s) => sigs.of(s.labels, matching));
  const seenAt = new Int32Array(sigs.size).fill(-1);

  if (op === "or") {
    const out = new OutputRows(lhs.steps);
    const rowL = Int32Array.from(lhs.series, (s) => out.rowFor(s.labels, s.dropName));
    const rowR = new Int32Array(rhs.series.length).fill(-1);
    for (let j = 0; j < n; j++) {
      for (let r = 0; r < lhs.series.length; r++) {
        if (lhs.present[r * n + j] === 0) continue;
        seenAt[sigL[r]] = j;
        out.set(rowL[r], j, lhs.values[r * n + j]);
      }
      for (let r = 0; r < rhs.series.length; r++) {
        if (rhs.present[r * n + j] === 0 || seenAt[sigR[r]] === j) continue;
        if (rowR[r] < 0) rowR[r] = out.rowFor(rhs.series[r].labels, rhs.series[r].dropName);
        out.set(rowR[r], j, rhs.values[r * n + j]);
      }
    }
    return out.toBlock();
  }

  const values = new Float64Array(lhs.values.length);
  const present = new Uint8Array(lhs.present.length);
  const wanted = op === "and";
  for (let j = 0; j < n; j++) {
    for (let r = 0; r < rhs.series.length; r++) {
      if (rhs.present[r * n + j] === 1) seenAt[sigR[r]] = j;
    }
    for (let r = 0; r < lhs.series.length; r++) {
      const at = r * n + j;
      if (lhs.present[at] === 0 || (seenAt[sigL[r]] === j) !== wanted) continue;
      values[at] = lhs.values[at];
      present[at] = 1;
    }
  }
  const series = lhs.series.map((s) => ({ labels: s.labels, dropName: s.dropName }));
  return dropEmptyRows({ type: "vector", steps: lhs.steps, series, values, present });
}
