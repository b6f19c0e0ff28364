// The typed PromQL syntax tree the engine evaluates. The parser turns
// lezer-promql's concrete tree into these nodes; every node keeps the
// character range it came from so errors can point at it.

/** The four types a PromQL expression can have. */
export type ValueType = "scalar" | "vector" | "matrix" | "string";

/** Character offsets [start, end) of a node in the query text. */
export interface PosRange {
  start: number;
  end: number;
}

export type MatchOp = "=" | "!=" | "=~" | "!~";

export interface LabelMatcherNode {
  name: string;
  op: MatchOp;
  value: string;
}

/**
 * A time given by an experimental duration expression (`[5m + step()]`,
 * `offset min_of(1m, range())`), resolved once the query's start, end and
 * step are known. Plain literals are parsed straight to milliseconds.
 */
export type DurationExpr =
  | { kind: "durationLiteral"; ms: number }
  | { kind: "durationNumber"; seconds: number }
  | {
      kind: "durationCall";
      func: "step" | "range" | "start" | "end" | "min_of" | "max_of";
      args: DurationExpr[];
    }
  | {
      kind: "durationBinary";
      op: "+" | "-" | "*" | "/" | "%" | "^";
      lhs: DurationExpr;
      rhs: DurationExpr;
    }
  | { kind: "durationUnary"; op: "-" | "+"; expr: DurationExpr };

/** A duration in milliseconds, or an expression that resolves to one. */
export type Duration = number | DurationExpr;

/** `@ <time>`, `@ start()`, `@ end()`; time in milliseconds since the epoch. */
export type AtModifier = { kind: "time"; ms: number } | { kind: "start" } | { kind: "end" };

export interface NumberLiteral {
  kind: "number";
  value: number;
  pos: PosRange;
}

export interface StringLiteral {
  kind: "string";
  value: string;
  pos: PosRange;
}

export interface VectorSelector {
  kind: "vectorSelector";
  /** The metric name written before the braces, or null. Also present as a `__name__` matcher. */
  name: string | null;
  /** Every matcher, the metric name's `__name__="..."` included. */
  matchers: LabelMatcherNode[];
  /** Offset in milliseconds (negative looks ahead); 0 when absent. */
  offset: Duration;
  at: AtModifier | null;
  /** Extended range selectors (experimental): `anchored` and `smoothed`. */
  anchored: boolean;
  smoothed: boolean;
  pos: PosRange;
}

export interface MatrixSelector {
  kind: "matrixSelector";
  /** Offset, `@` and the extended-range flags live on the inner selector, as in Prometheus. */
  vector: VectorSelector;
  range: Duration;
  pos: PosRange;
}

export interface SubqueryExpr {
  kind: "subquery";
  expr: Expr;
  range: Duration;
  /** 0 means the engine's default resolution (the query step, or 1 m for instant queries). */
  step: Duration;
  offset: Duration;
  at: AtModifier | null;
  pos: PosRange;
}

export interface Call {
  kind: "call";
  func: string;
  args: Expr[];
  pos: PosRange;
}

export type AggregateOp =
  | "sum"
  | "avg"
  | "count"
  | "min"
  | "max"
  | "group"
  | "stddev"
  | "stdvar"
  | "topk"
  | "bottomk"
  | "quantile"
  | "count_values"
  | "limitk"
  | "limit_ratio";

export interface Aggregate {
  kind: "aggregate";
  op: AggregateOp;
  /** The first argument of topk, bottomk, quantile, count_values, limitk and limit_ratio. */
  param: Expr | null;
  expr: Expr;
  /** Labels of `by (...)` or `without (...)`; empty with neither. */
  grouping: string[];
  without: boolean;
  pos: PosRange;
}

export type ArithmeticOp = "+" | "-" | "*" | "/" | "%" | "^" | "atan2";
export type ComparisonOp = "==" | "!=" | ">" | "<" | ">=" | "<=";
export type SetOp = "and" | "or" | "unless";
export type BinaryOp = ArithmeticOp | ComparisonOp | SetOp;

export type Cardinality = "one-to-one" | "many-to-one" | "one-to-many" | "many-to-many";

/** How the two sides of a binary operation between vectors are matched. */
export interface VectorMatching {
  card: Cardinality;
  /** True for `on(...)`, false for `ignoring(...)` or neither. */
  on: boolean;
  labels: string[];
  /** Labels named in `group_left(...)` / `group_right(...)`, copied from the "one" side. */
  include: string[];
  /** The experimental fill modifiers: a value for a missing left or right sample, else null. */
  fillLeft: number | null;
  fillRight: number | null;
}

export interface Binary {
  kind: "binary";
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  /** `bool` on a comparison. */
  returnBool: boolean;
  /** Present when both sides are vectors (set operators always match many-to-many). */
  matching: VectorMatching | null;
  pos: PosRange;
}

export interface Unary {
  kind: "unary";
  op: "-" | "+";
  expr: Expr;
  pos: PosRange;
}

export interface Paren {
  kind: "paren";
  expr: Expr;
  pos: PosRange;
}

export type Expr =
  | NumberLiteral
  | StringLiteral
  | VectorSelector
  | MatrixSelector
  | SubqueryExpr
  | Call
  | Aggregate
  | Binary
  | Unary
  | Paren;
