// Matchers to postings in one segment, the way Prometheus's
// PostingsForMatchers reasons: a matcher the empty value does not satisfy
// selects the union of its matching terms' postings; one the empty value
// satisfies (a series without the label has it as "") is applied as a
// subtraction of the documents whose value fails it. The result is the
// intersection of the selections minus every subtraction.
import { M3tsError } from "../x/index.js";
import type { Matcher } from "./matcher.js";
import {
  type FieldReader,
  type Postings,
  prefixRange,
  RoaringBitmap32,
  type Segment,
} from "./segment.js";

/** A query went past one of its limits; nothing partial is returned. */
export class QueryLimitError extends M3tsError {
  readonly limit: "maxSeries" | "maxDocsScanned" | "maxSamples";
  readonly value: number;

  constructor(limit: "maxSeries" | "maxDocsScanned" | "maxSamples", value: number, what: string) {
    super(
      "M3TS_ERR_QUERY_LIMIT",
      `query exceeds the limit ${limit} = ${value}: ${what}; narrow the matchers or the time range`,
    );
    this.limit = limit;
    this.value = value;
  }
}

/** Counts postings entries read against maxDocsScanned. */
export class ScanBudget {
  scanned = 0;
  readonly max: number;

  constructor(max = Number.POSITIVE_INFINITY) {
    this.max = max;
  }

  charge(n: number): void {
    this.scanned += n;
    if (this.scanned > this.max) {
      throw new QueryLimitError(
        "maxDocsScanned",
        this.max,
        `${this.scanned} postings entries read so far`,
      );
    }
  }
}

/** The documents of `seg` every matcher accepts (all documents for no matchers). */
export function searchSegment(
  seg: Segment,
  matchers: readonly Matcher[],
  budget: ScanBudget,
): Postings {
  const selections: Postings[] = [];
  const subtractions: Postings[] = [];
  for (const m of matchers) {
    const field = seg.field(m.name);
    if (!m.matchesEmpty) {
      // Only documents holding the field with a matching value qualify.
      const sel = field === undefined ? new RoaringBitmap32() : matchingTerms(field, m, budget);
      if (sel.isEmpty) return sel;
      selections.push(sel);
    } else if (field !== undefined) {
      const sub = failingTerms(field, m, budget);
      if (!sub.isEmpty) subtractions.push(sub);
    }
  }
  let result: Postings;
  if (selections.length === 0) {
    result = seg.all();
    budget.charge(result.size);
  } else {
    selections.sort((a, b) => a.size - b.size);
    // Selections are fresh bitmaps (unions), so the smallest is narrowed in place.
    result = selections[0];
    for (let i = 1; i < selections.length && !result.isEmpty; i++) {
      result.andInPlace(selections[i]);
    }
  }
  for (const sub of subtractions) {
    if (result.isEmpty) break;
    result.andNotInPlace(sub);
  }
  return result;
}

/** Union of the postings of the field's terms `m` accepts. */
function matchingTerms(field: FieldReader, m: Matcher, budget: ScanBudget): Postings {
  if (m.setMatches !== null) {
    const parts: Postings[] = [];
    for (const term of m.setMatches) {
      const p = field.postings(term);
      if (p !== undefined) parts.push(p);
    }
    return union(parts, budget);
  }
  if (m.type === "!=" || m.type === "!~") {
    return unionWhere(field, "", (t) => m.matches(t), budget);
  }
  return unionWhere(field, m.prefix, (t) => m.matches(t), budget);
}

/** Union of the postings of the field's terms `m` rejects (for a matcher that accepts ""). */
function failingTerms(field: FieldReader, m: Matcher, budget: ScanBudget): Postings {
  if (m.type === "!=") {
    const p = field.postings(m.value);
    return p === undefined ? new RoaringBitmap32() : union([p], budget);
  }
  if (m.type === "=" && m.value === "") {
    const docs = field.docs();
    budget.charge(docs.size);
    return docs;
  }
  // A "!~" rejects exactly the values its regex matches, which share its prefix.
  const prefix = m.type === "!~" ? m.prefix : "";
  return unionWhere(field, prefix, (t) => !m.matches(t), budget);
}

function unionWhere(
  field: FieldReader,
  prefix: string,
  keep: (term: string) => boolean,
  budget: ScanBudget,
): Postings {
  const sorted = field.terms();
  const [from, to] = prefixRange(sorted, prefix);
  const parts: Postings[] = [];
  for (let i = from; i < to; i++) {
    if (keep(sorted[i])) parts.push(field.postingsAt(i));
  }
  return union(parts, budget);
}

function union(parts: Postings[], budget: ScanBudget): Postings {
  for (const p of parts) budget.charge(p.size);
  if (parts.length === 0) return new RoaringBitmap32();
  if (parts.length === 1) return parts[0].clone();
  return RoaringBitmap32.orMany(parts);
}
