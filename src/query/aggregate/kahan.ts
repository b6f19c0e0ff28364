// Kahan-Babuška-Neumaier summation as Prometheus's kahansum.Inc does it: a
// running sum and its compensation kept in two arrays at one cell, so a hot
// loop adds without allocating a pair per step.

/** Adds `inc` to sum[c] with compensation comp[c]; an infinite sum resets the compensation. */
export function kahanAdd(sum: Float64Array, comp: Float64Array, c: number, inc: number): void {
  const s = sum[c];
  const t = s + inc;
  if (t === Number.POSITIVE_INFINITY || t === Number.NEGATIVE_INFINITY) comp[c] = 0;
  else if (Math.abs(s) >= Math.abs(inc)) comp[c] += s - t + inc;
  else comp[c] += inc - t + s;
  sum[c] = t;
}

/** The sum `sum + inc` would reach, without changing anything. */
export function wouldOverflow(s: number, inc: number): boolean {
  const t = s + inc;
  return t === Number.POSITIVE_INFINITY || t === Number.NEGATIVE_INFINITY;
}
