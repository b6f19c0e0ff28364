// lezer-promql's concrete tree to our typed tree, with the checks Prometheus
// makes while it builds its own (offsets and @ only on selectors and
// subqueries, positive ranges, label names, regexes), in the order its parser
// reports them.

import type { SyntaxNode } from "@lezer/common";
import type {
  AtModifier,
  Duration,
  Expr,
  LabelMatcherNode,
  MatchOp,
  VectorSelector,
} from "../ast.js";
import { formatGoF, goQuote } from "../go-format.js";
import { buildDurationExpr, foldDuration } from "./duration-expr.js";
import { ALL_FEATURES, BuildFailure, type ParseFeatures } from "./failure.js";
import { parseDurationMs, parseNumber, unquote } from "./literals.js";
import { buildAggregate, buildBinary, buildCall } from "./operators.js";
import { regexError } from "./regex-check.js";
import { children, isExprNode, makeUnary } from "./tree-helpers.js";

const MATCH_OPS: Record<string, MatchOp> = {
  EqlSingle: "=",
  Neq: "!=",
  EqlRegex: "=~",
  NeqRegex: "!~",
};

/** The largest duration in seconds a Go time.Duration holds. */
const MAX_DURATION_SECONDS = 2 ** 63 / 1e9;

/** Builds the typed tree from a parse without error nodes. */
export class TreeBuilder {
  readonly text: string;

  readonly features: ParseFeatures;

  constructor(text: string, features: ParseFeatures = ALL_FEATURES) {
    this.text = text;
    this.features = features;
  }

  src(node: SyntaxNode): string {
    return this.text.slice(node.from, node.to);
  }

  fail(pos: number, message: string): never {
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
        return buildBinary(this, node);
      case "FunctionCall":
        return buildCall(this, node);
      case "AggregateExpr":
        return buildAggregate(this, node);
      default:
        return this.fail(node.from, `unexpected ${node.name}`);
    }
  }

  number(node: SyntaxNode): Expr {
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

  string(node: SyntaxNode): string {
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
            `metric name must not be set twice: ${goQuote(name)} or ${goQuote(m.value)}`,
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
    const d = buildDurationExpr(node, this.text);
    const folded = foldDuration(d);
    if (folded !== null) {
      if (!Number.isFinite(folded) || Math.abs(folded) > MAX_DURATION_SECONDS)
        this.fail(node.from, "duration out of range");
      if (folded <= 0) this.fail(node.from, "duration must be greater than 0");
      void what;
      return Math.round(folded * 1000);
    }
    if (!this.features.durationExpressions)
      this.fail(node.from, "experimental duration expression is not enabled");
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
    const d = buildDurationExpr(durNode, this.text);
    const folded = foldDuration(d);
    let offset: Duration;
    if (folded !== null) {
      if (!Number.isFinite(folded) || Math.abs(folded) > MAX_DURATION_SECONDS)
        this.fail(durNode.from, "duration out of range");
      offset = Math.round(folded * 1000);
    } else {
      if (!this.features.durationExpressions) {
        this.fail(durNode.from, "experimental duration expression is not enabled");
      }
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
        this.fail(start, `timestamp out of bounds for @ modifier: ${formatGoF(v)}`);
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
    if (!this.features.extendedRangeSelectors)
      this.fail(start, `${word} modifier is experimental and not enabled`);
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
}

export function exprStart(e: Expr): number {
  return e.pos.start;
}

function widen(e: Expr, end: number): void {
  e.pos.end = end;
}
