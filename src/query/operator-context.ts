// What every operator and function may use while it evaluates: where to put
// warnings and infos, the query text for positions in their messages, and the
// sample accounting that enforces the in-memory bound.

import type { Annotations } from "./annotations.js";
import type { PosRange } from "./ast.js";

export interface OperatorContext {
  readonly annotations: Annotations;
  /** The query text, for "(line:col)" positions in annotation messages. */
  readonly query: string;
  /** Adds samples held in memory; throws the max-samples limit error past the bound. */
  accountSamples(count: number): void;
}

/** Prometheus's position suffix of an annotation: "(1:6)" for a node starting at the 6th character. */
export function positionOf(query: string, pos: PosRange): string {
  let line = 1;
  let col = 1;
  for (let i = 0; i < pos.start && i < query.length; i++) {
    if (query[i] === "\n") {
      line++;
      col = 1;
    } else col++;
  }
  return `(${line}:${col})`;
}
