// lezer-promql's concrete tree to our typed tree, with the checks Prometheus
// makes while it builds its own (offsets and @ only on selectors and
// subqueries, positive ranges, label names, regexes), in the order its parser
// reports them.

import type { SyntaxNode } from "@lezer/common";
import type {
  AggregateOp,
  AtModifier,
  BinaryOp,
  Duration,
  DurationExpr,
  Expr,
  LabelMatcherNode,
  MatchOp,
  VectorMatching,
  VectorSelector,
} from "../ast.js";
import { formatFloat, parseDurationMs, parseNumber, unquote } from "./literals.js";

/** An error found while building the tree: 0-based position and Prometheus's text. */
export interface BuildError {
  pos: number;
  message: string;
}

export class BuildFailure extends Error {
  readonly pos: number;
  constructor(pos: number, message: string) {
    super(message);
    this.pos = pos;
  }
}

const BINARY_OPS: Record<string, BinaryOp> = {
  Pow: "^",
  Mul: "*",
  Div: "/",
  Mod: "%",
  Atan2: "atan2",
  Add: "+",
  Sub: "-",
  Eql: "==",
  Gte: ">=",
  Gtr: ">",
  Lte: "<=",
  Lss: "<",
  Neq: "!=",
  And: "and",
  Unless: "unless",
  Or: "or",
};

const MATCH_OPS: Record<string, MatchOp> = {
  EqlSingle: "=",
  Neq: "!=",
  EqlRegex: "=~",
  NeqRegex: "!~",
};

/** The largest duration in seconds a Go time.Duration holds. */
const MAX_DURATION_SECONDS = 2 ** 63 / 1e9;

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c !== null; c = c.nextSibling) out.push(c);
  return out;
}

function isExprNode(node: SyntaxNode): boolean {
  return node.type.is("Expr");
}

/** Builds the typed tree from a parse without error nodes. */
export class TreeBuilder {
  private readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  private src(node: SyntaxNode): string {
    return this.text.slice(node.from, node.to);
  }

  private fail(pos: number, message: string): never {
    throw new BuildFailure(pos, message);
  }

  expr(node: SyntaxNode): Expr {
    switch (node.name) {
      case "NumberDurationLiteral":
        return this.number(node);
      case "StringLiteral":
        return {
          kind: "string",
          value: this.string(node),
          pos: { start: node.from, end: node.to },
        };
      case "VectorSelector":
        return this.vectorSelector(node);
      case "MatrixSelector":
        return this.matrixSelector(node);
      case "SubqueryExpr":
        return this.subquery(node);
      case "OffsetExpr":
        return this.offset(node);
      case "StepInvariantExpr":
        return this.at(node);
      case "AnchoredExpr":
      case "SmoothedExpr":
        return this.extendedRange(node);
      case "ParenExpr": {
        const inner = children(node).find(isExprNode) as SyntaxNode;
        return { kind: "paren", expr: this.expr(inner), pos: { start: node.from, end: node.to } };
      }
      case "UnaryExpr":
        return this.unary(node);
      case "BinaryExpr":
        return this.binary(node);
      case "FunctionCall":
        return this.call(node);
      case "AggregateExpr":
        return this.aggregate(node);
      default:
        return this.fail(node.from, `unexpected ${node.name}`);
    }
  }

  private number(node: SyntaxNode): Expr {
    const text = this.src(node);
    let sign = 1;
    let body = text;
    if (text[0] === "-" || text[0] === "+") {
      sign = text[0] === "-" ? -1 : 1;
      body = text.slice(1).trimStart();
    }
    return {
      kind: "number",
      value: sign * this.unsignedNumber(body, node.from),
      pos: { start: node.from, end: node.to },
    };
  }

  /** A number or a duration written as a number (seconds). */
  private unsignedNumber(body: string, pos: number): number {
    const n = parseNumber(body);
    if (n !== null) {
      if (!Number.isFinite(n) && /^[0-9.]/.test(body)) {
        this.fail(
          pos,
          `error parsing number: strconv.ParseFloat: parsing ${JSON.stringify(body)}: value out of range`,
        );
      }
      return n;
    }
    const d = parseDurationMs(body);
    if (typeof d === "number") return d / 1000;
    return this.fail(pos, d.error);
  }

  private string(node: SyntaxNode): string {
    const u = unquote(this.src(node));
    if (!u.ok) this.fail(node.from, u.error);
    return u.value;
  }

  private vectorSelector(node: SyntaxNode): VectorSelector {
    let name: string | null = null;
    const matchers: LabelMatcherNode[] = [];
    for (const c of children(node)) {
      if (c.name === "Identifier") name = this.src(c);
      else if (c.name === "LabelMatchers") {
        for (const m of children(c)) matchers.push(this.matcher(m));
      }
    }
    if (name !== null) {
      for (const m of matchers) {
        if (m.name === "__name__") {
          this.fail(
            node.from,
            `metric name must not be set twice: ${goQ(name)} or ${goQ(m.value)}`,
          );
        }
      }
      matchers.push({ name: "__name__", op: "=", value: name });
    }
    return {
      kind: "vectorSelector",
      name,
      matchers,
      offset: 0,
      at: null,
      anchored: false,
      smoothed: false,
      pos: { start: node.from, end: node.to },
    };
  }

  private matcher(node: SyntaxNode): LabelMatcherNode {
    const parts = children(node);
    if (node.name === "QuotedLabelName") {
      return { name: "__name__", op: "=", value: this.string(parts[0] as SyntaxNode) };
    }
    const [nameNode, opNode, valueNode] = parts as [SyntaxNode, SyntaxNode, SyntaxNode];
    const labelName =
      node.name === "QuotedLabelMatcher"
        ? this.string((children(nameNode)[0] ?? nameNode) as SyntaxNode)
        : this.src(nameNode);
    const op = MATCH_OPS[(opNode.firstChild as SyntaxNode).name] as MatchOp;
    const value = this.string(valueNode);
    if (op === "=~" || op === "!~") {
      const err = regexError(value);
      if (err !== null) this.fail(node.from, err);
    }
    return { name: labelName, op, value };
  }

  private range(node: SyntaxNode, what: "range" | "step"): Duration {
    const d = this.durationExpr(node);
    const folded = foldDuration(d);
    if (folded !== null) {
      if (!Number.isFinite(folded) || Math.abs(folded) > MAX_DURATION_SECONDS)
        this.fail(node.from, "duration out of range");
      if (folded <= 0) this.fail(node.from, "duration must be greater than 0");
      void what;
      return Math.round(folded * 1000);
    }
    return d;
  }

  private matrixSelector(node: SyntaxNode): Expr {
    const parts = children(node);
    const durNode = parts.find((p) => p.name === "DurationExpr") as SyntaxNode;
    return this.postfix(parts[0] as SyntaxNode, node.to, (inner) =>
      this.applyRange(inner, node, durNode),
    );
  }

  private applyRange(inner: Expr, node: SyntaxNode, durNode: SyntaxNode): Expr {
    const bracket = this.text.lastIndexOf("[", durNode.from);
    if (inner.kind !== "vectorSelector")
      this.fail(bracket, "ranges only allowed for vector selectors");
    if (inner.offset !== 0) this.fail(bracket, "no offset modifiers allowed before range");
    if (inner.at !== null) this.fail(bracket, "no @ modifiers allowed before range");
    const range = this.range(durNode, "range");
    return {
      kind: "matrixSelector",
      vector: inner as VectorSelector,
      range,
      pos: { start: inner.pos.start, end: node.to },
    };
  }

  private subquery(node: SyntaxNode): Expr {
    const parts = children(node);
    return this.postfix(parts[0] as SyntaxNode, node.to, (inner) =>
      this.applySubquery(inner, node, parts),
    );
  }

  private applySubquery(inner: Expr, node: SyntaxNode, parts: SyntaxNode[]): Expr {
    const durs = parts.filter((p) => p.name === "DurationExpr");
    const range = this.range(durs[0] as SyntaxNode, "range");
    const step = durs.length > 1 ? this.range(durs[1] as SyntaxNode, "step") : 0;
    return {
      kind: "subquery",
      expr: inner,
      range,
      step,
      offset: 0,
      at: null,
      pos: { start: inner.pos.start, end: node.to },
    };
  }

  private offset(node: SyntaxNode): Expr {
    const parts = children(node);
    const durNode = parts.find((p) => p.name === "OffsetDurationExpr") as SyntaxNode;
    return this.postfix(parts[0] as SyntaxNode, node.to, (target) =>
      this.applyOffset(target, node, durNode),
    );
  }

  private applyOffset(target: Expr, node: SyntaxNode, durNode: SyntaxNode): Expr {
    const d = this.durationExpr(durNode);
    const folded = foldDuration(d);
    let offset: Duration;
    if (folded !== null) {
      if (!Number.isFinite(folded) || Math.abs(folded) > MAX_DURATION_SECONDS)
        this.fail(durNode.from, "duration out of range");
      offset = Math.round(folded * 1000);
    } else {
      offset = d;
    }
    const start = exprStart(target);
    const holder = this.modifierHolder(
      target,
      "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery",
    );
    if (holder.offset !== 0) this.fail(start, "offset may not be set multiple times");
    holder.offset = offset;
    widen(target, node.to);
    return target;
  }

  private at(node: SyntaxNode): Expr {
    const parts = children(node);
    return this.postfix(parts[0] as SyntaxNode, node.to, (target) =>
      this.applyAt(target, node, parts),
    );
  }

  private applyAt(target: Expr, node: SyntaxNode, parts: SyntaxNode[]): Expr {
    const start = exprStart(target);
    let at: AtModifier;
    const pre = parts.find((p) => p.name === "AtModifierPreprocessors");
    if (pre !== undefined) {
      at = { kind: (pre.firstChild as SyntaxNode).name === "AtStart" ? "start" : "end" };
    } else {
      const numNode = parts.find((p) => p.name === "NumberDurationLiteral") as SyntaxNode;
      const v = (this.number(numNode) as { value: number }).value;
      if (!Number.isFinite(v) || Math.abs(v) * 1000 >= 2 ** 63) {
        this.fail(start, `timestamp out of bounds for @ modifier: ${goFloatF(v)}`);
      }
      at = { kind: "time", ms: Math.round(v * 1000) };
    }
    const holder = this.modifierHolder(
      target,
      "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery",
    );
    if (holder.at !== null) this.fail(start, "@ <timestamp> may not be set multiple times");
    holder.at = at;
    widen(target, node.to);
    return target;
  }

  private extendedRange(node: SyntaxNode): Expr {
    const parts = children(node);
    return this.postfix(parts[0] as SyntaxNode, node.to, (target) =>
      this.applyExtendedRange(target, node),
    );
  }

  private applyExtendedRange(target: Expr, node: SyntaxNode): Expr {
    const anchored = node.name === "AnchoredExpr";
    const word = anchored ? "anchored" : "smoothed";
    const start = exprStart(target);
    let vs: VectorSelector | null = null;
    if (target.kind === "vectorSelector") vs = target;
    else if (target.kind === "matrixSelector") vs = target.vector;
    else if (target.kind === "subquery")
      this.fail(start, `${word} modifier is not supported for subqueries`);
    else this.fail(start, `${word} modifier not implemented`);
    if (vs !== null) {
      if ((anchored && vs.smoothed) || (!anchored && vs.anchored)) {
        this.fail(start, "anchored and smoothed modifiers cannot be used together");
      }
      if (anchored) vs.anchored = true;
      else vs.smoothed = true;
    }
    widen(target, node.to);
    return target;
  }

  /**
   * Applies a postfix modifier ([...], offset, @, anchored, smoothed). lezer's
   * grammar lets it bind to a whole binary or unary expression on its left;
   * Prometheus binds it tighter than any operator, so it goes down to the
   * rightmost operand (a parenthesised expression stays whole).
   */
  private postfix(node: SyntaxNode, end: number, apply: (target: Expr) => Expr): Expr {
    const descend = (e: Expr): Expr => {
      if (e.kind === "binary") {
        e.rhs = descend(e.rhs);
        e.pos.end = end;
        return e;
      }
      if (e.kind === "unary") {
        e.expr = descend(e.expr);
        e.pos.end = end;
        return e;
      }
      return apply(e);
    };
    return descend(this.expr(node));
  }

  /** The node that carries offset and @ for a selector or subquery. */
  private modifierHolder(
    target: Expr,
    notAllowed: string,
  ): { offset: Duration; at: AtModifier | null } {
    if (target.kind === "vectorSelector" || target.kind === "subquery") return target;
    if (target.kind === "matrixSelector") return target.vector;
    return this.fail(exprStart(target), notAllowed);
  }

  private unary(node: SyntaxNode): Expr {
    const parts = children(node);
    const opNode = parts[0] as SyntaxNode;
    const op = this.src(opNode) === "-" ? "-" : "+";
    const inner = this.expr(parts.find(isExprNode) as SyntaxNode);
    return makeUnary(op, inner, node.from, node.to);
  }

  private binary(node: SyntaxNode): Expr {
    const parts = children(node);
    const exprs = parts.filter(isExprNode);
    const trim = parts.find((p) => p.name === "TrimUpper" || p.name === "TrimLower");
    if (trim !== undefined) {
      this.fail(
        trim.from,
        `operator ${goQ(this.src(trim))} trims native histograms, which are not supported: samples are floats`,
      );
    }
    const opNode = parts.find((p) => BINARY_OPS[p.name] !== undefined) as SyntaxNode;
    const op = BINARY_OPS[opNode.name] as BinaryOp;
    const lhsNode = exprs[0] as SyntaxNode;
    const rhsNode = exprs[1] as SyntaxNode;
    let returnBool = false;
    const matching: VectorMatching = {
      card: "one-to-one",
      on: false,
      labels: [],
      include: [],
      fillLeft: null,
      fillRight: null,
    };
    let hasMatching = false;
    for (const p of parts) {
      if (p.name === "BoolModifier") returnBool = true;
      else if (p.name === "MatchingModifierClause") {
        hasMatching = true;
        const mc = children(p);
        let seenGroup = false;
        for (const c of mc) {
          if (c.name === "On") matching.on = true;
          else if (c.name === "GroupLeft" || c.name === "GroupRight") {
            matching.card = c.name === "GroupLeft" ? "many-to-one" : "one-to-many";
            seenGroup = true;
          } else if (c.name === "GroupingLabels") {
            if (seenGroup) matching.include = this.groupingLabels(c);
            else matching.labels = this.groupingLabels(c);
          }
        }
      } else if (p.name === "FillModifier") {
        for (const clause of children(p)) {
          const lit = children(clause).find(
            (c) => c.name === "NumberDurationLiteral",
          ) as SyntaxNode;
          const v = (this.number(lit) as { value: number }).value;
          if (clause.name === "FillClause") {
            matching.fillLeft = v;
            matching.fillRight = v;
          } else if (clause.name === "FillLeftClause") matching.fillLeft = v;
          else matching.fillRight = v;
        }
      }
    }
    void hasMatching;
    // lezer reads a sign into a number literal ("-1"); Prometheus reads it as a
    // unary operator of multiplicative precedence, so "-1 ^ 2" is -(1 ^ 2).
    const lhsText = this.src(lhsNode);
    if (
      op === "^" &&
      lhsNode.name === "NumberDurationLiteral" &&
      (lhsText[0] === "-" || lhsText[0] === "+")
    ) {
      const unsigned = this.expr(lhsNode) as {
        kind: "number";
        value: number;
        pos: { start: number; end: number };
      };
      const signNeg = lhsText[0] === "-";
      const numStart =
        lhsNode.from + 1 + (lhsText.length - 1 - lhsText.slice(1).trimStart().length);
      const base: Expr = {
        kind: "number",
        value: signNeg ? -unsigned.value : unsigned.value,
        pos: { start: numStart, end: lhsNode.to },
      };
      const rhs = this.expr(rhsNode);
      const inner: Expr = {
        kind: "binary",
        op,
        lhs: base,
        rhs,
        returnBool,
        matching,
        pos: { start: numStart, end: node.to },
      };
      return makeUnary(signNeg ? "-" : "+", inner, node.from, node.to);
    }
    const lhs = this.expr(lhsNode);
    const rhs = this.expr(rhsNode);
    return {
      kind: "binary",
      op,
      lhs,
      rhs,
      returnBool,
      matching,
      pos: { start: node.from, end: node.to },
    };
  }

  private groupingLabels(node: SyntaxNode): string[] {
    const out: string[] = [];
    for (const c of children(node)) {
      if (c.name === "LabelName") out.push(this.src(c));
      else if (c.name === "QuotedLabelName") {
        const s = this.string((c.firstChild ?? c) as SyntaxNode);
        if (s === "" || !isValidUtf8(s))
          this.fail(c.from, `invalid label name for grouping: ${goQ(s)}`);
        out.push(s);
      }
    }
    return out;
  }

  private call(node: SyntaxNode): Expr {
    const parts = children(node);
    const ident = parts[0] as SyntaxNode;
    const body = parts[1] as SyntaxNode;
    const args = children(body)
      .filter(isExprNode)
      .map((a) => this.expr(a));
    this.checkTrailingComma(body);
    return { kind: "call", func: this.src(ident), args, pos: { start: node.from, end: node.to } };
  }

  private checkTrailingComma(body: SyntaxNode): void {
    const inside = this.text.slice(body.from, body.to - 1).trimEnd();
    if (inside.endsWith(",")) {
      this.fail(body.from + inside.length - 1, "trailing commas not allowed in function call args");
    }
  }

  private aggregate(node: SyntaxNode): Expr {
    const parts = children(node);
    const op = this.src(parts[0] as SyntaxNode).toLowerCase() as AggregateOp;
    let grouping: string[] = [];
    let without = false;
    let body: SyntaxNode | null = null;
    for (const p of parts) {
      if (p.name === "AggregateModifier") {
        without = (p.firstChild as SyntaxNode).name === "Without";
        const labels = children(p).find((c) => c.name === "GroupingLabels");
        grouping = labels === undefined ? [] : this.groupingLabels(labels);
      } else if (p.name === "FunctionCallBody") body = p;
    }
    const bodyNode = body as SyntaxNode;
    const args = children(bodyNode)
      .filter(isExprNode)
      .map((a) => this.expr(a));
    const pos = { start: node.from, end: node.to };
    this.checkTrailingComma(bodyNode);
    if (args.length === 0) this.fail(node.from, "no arguments for aggregate expression provided");
    const withParam =
      op === "topk" ||
      op === "bottomk" ||
      op === "count_values" ||
      op === "quantile" ||
      op === "limitk" ||
      op === "limit_ratio";
    const want = withParam ? 2 : 1;
    if (args.length !== want) {
      this.fail(
        node.from,
        `wrong number of arguments for aggregate expression provided, expected ${want}, got ${args.length}`,
      );
    }
    return {
      kind: "aggregate",
      op,
      param: withParam ? (args[0] as Expr) : null,
      expr: args[want - 1] as Expr,
      grouping,
      without,
      pos,
    };
  }

  /** A duration expression ([...], offset ...) as our DurationExpr. */
  durationExpr(node: SyntaxNode): DurationExpr {
    const parts = children(node);
    const first = parts[0] as SyntaxNode;
    switch (first.name) {
      case "NumberDurationLiteralInDurationContext": {
        const text = this.src(first);
        const n = parseNumber(text);
        if (n !== null) return { kind: "durationNumber", seconds: n };
        const d = parseDurationMs(text);
        if (typeof d !== "number") this.fail(first.from, d.error);
        return { kind: "durationLiteral", ms: d };
      }
      case "UnaryOp": {
        // A unary plus changes nothing; Prometheus drops it too.
        const inner = this.durationExpr(parts[1] as SyntaxNode);
        return this.src(first) === "-" ? { kind: "durationUnary", op: "-", expr: inner } : inner;
      }
      case "DurationStep":
        return { kind: "durationCall", func: "step", args: [] };
      case "DurationRange":
        return { kind: "durationCall", func: "range", args: [] };
      case "DurationMinOf":
      case "DurationMaxOf":
        return {
          kind: "durationCall",
          func: first.name === "DurationMinOf" ? "min_of" : "max_of",
          args: parts.slice(1).map((p) => this.durationExpr(p)),
        };
      case "DurationExpr":
      case "OffsetDurationExpr": {
        if (parts.length === 1) return this.durationExpr(first);
        const opNode = parts[1] as SyntaxNode;
        const op = BINARY_OPS[opNode.name] as "+" | "-" | "*" | "/" | "%" | "^";
        const lhs = this.durationExpr(first);
        const rhs = this.durationExpr(parts[2] as SyntaxNode);
        if ((op === "/" || op === "%") && foldDuration(rhs) === 0) {
          this.fail(opNode.from, op === "/" ? "division by zero" : "modulo by zero");
        }
        return { kind: "durationBinary", op, lhs, rhs };
      }
      default:
        return this.fail(first.from, `unexpected ${first.name} in duration expression`);
    }
  }
}

/** The value in seconds of a duration expression made of literals and signs only, else null. */
export function foldDuration(d: DurationExpr): number | null {
  switch (d.kind) {
    case "durationLiteral":
      return d.ms / 1000;
    case "durationNumber":
      return d.seconds;
    case "durationUnary": {
      const v = foldDuration(d.expr);
      if (v === null) return null;
      return d.op === "-" ? -v : v;
    }
    default:
      return null;
  }
}

function makeUnary(op: "-" | "+", inner: Expr, start: number, end: number): Expr {
  // Prometheus folds a sign into a number literal: "-1" is the number -1.
  if (inner.kind === "number") {
    return { kind: "number", value: op === "-" ? -inner.value : inner.value, pos: { start, end } };
  }
  return { kind: "unary", op, expr: inner, pos: { start, end } };
}

export function exprStart(e: Expr): number {
  return e.pos.start;
}

function widen(e: Expr, end: number): void {
  e.pos.end = end;
  if (e.kind === "matrixSelector") e.vector.pos.end = Math.max(e.vector.pos.end, e.vector.pos.end);
}

function goQ(s: string): string {
  return JSON.stringify(s);
}

function goFloatF(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return v.toFixed(6);
}

function isValidUtf8(s: string): boolean {
  return !s.includes("\ufffd");
}

/**
 * Rewrites the RE2 forms JavaScript's RegExp does not read (inline flags,
 * \\A, \\z, POSIX classes) into ones it does, for a syntax check only: the
 * rewrite keeps the structure, not the meaning of the flags.
 */
function approximateRe2(pattern: string): string {
  return pattern
    .replace(/\(\?[imsU-]+\)/g, "")
    .replace(/\(\?[imsU-]+:/g, "(?:")
    .replace(/\(\?P</g, "(?<")
    .replace(/\\[Az]/g, "")
    .replace(/\[:\^?[a-z]+:\]/g, "a");
}

/** Checks a label matcher's regex; returns Go's regexp error text (as Prometheus reports it) or null. */
export function regexError(pattern: string): string | null {
  try {
    new RegExp(`^(?:${approximateRe2(pattern)})$`, "s");
    return null;
  } catch (e) {
    const msg = (e as Error).message;
    const wrap = (code: string, expr: string): string =>
      `error parsing regexp: ${code}: \`${expr}\``;
    if (msg.includes("Unterminated group")) return wrap("missing closing )", pattern);
    if (msg.includes("Unmatched ')'")) return wrap("unexpected )", pattern);
    if (msg.includes("Unterminated character class")) {
      return wrap("missing closing ]", pattern.slice(pattern.lastIndexOf("[")));
    }
    if (msg.includes("Nothing to repeat")) {
      const m = /(^|[(|])([*+?{])/.exec(pattern);
      return wrap(
        "missing argument to repetition operator",
        m === null ? pattern : (m[2] as string),
      );
    }
    return wrap("invalid syntax", pattern);
  }
}

export { formatFloat };
