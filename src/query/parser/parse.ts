// parsePromQL: lezer-promql finds the structure, our scanner names the tokens
// for Prometheus's error texts, then the tree is built and type-checked the
// way Prometheus's parser and checkAST do it.

import type { SyntaxNode, Tree } from "@lezer/common";
import { parser } from "@prometheus-io/lezer-promql";
import type { Expr } from "../ast.js";
import { PromQLParseError } from "../errors.js";
import { checkExpr } from "./check.js";
import { BuildFailure, TreeBuilder } from "./convert.js";
import { FUNCTION_SIGNATURES } from "./functions.js";
import { describeToken, type LexError, lex, type Token } from "./lexer.js";
import { parseDurationMs } from "./literals.js";

/** Query length past which we refuse to parse (Prometheus has no limit; a bound keeps work linear and finite). */
export const MAX_QUERY_LENGTH = 1 << 20;

// Functions Prometheus knows but this lezer-promql release does not: lezer is
// shown a known name of the same length in their place, so positions hold.
const LEZER_STAND_INS: ReadonlyMap<string, string> = findStandIns();

function findStandIns(): Map<string, string> {
  const known: string[] = [];
  const missing: string[] = [];
  for (const name of FUNCTION_SIGNATURES.keys()) {
    const tree = parser.parse(`${name}()`);
    const top = tree.topNode.firstChild;
    if (top !== null && top.name === "FunctionCall" && !hasError(tree)) known.push(name);
    else missing.push(name);
  }
  const out = new Map<string, string>();
  for (const name of missing) {
    const sub = known.find((k) => k.length === name.length);
    if (sub !== undefined) out.set(name, sub);
  }
  return out;
}

function hasError(tree: Tree): boolean {
  let found = false;
  tree.iterate({
    enter(n) {
      if (found) return false;
      if (n.type.isError) found = true;
      return undefined;
    },
  });
  return found;
}

function firstError(tree: Tree): { from: number; to: number } | null {
  let err: { from: number; to: number } | null = null;
  tree.iterate({
    enter(n) {
      if (err !== null) return false;
      if (n.type.isError) err = { from: n.from, to: n.to };
      return undefined;
    },
  });
  return err;
}

function parseError(query: string, pos: number, detail: string): PromQLParseError {
  const before = query.slice(0, pos);
  const lineStart = before.lastIndexOf("\n");
  const line = before.split("\n").length;
  const col = Buffer.byteLength(before.slice(lineStart + 1)) + 1;
  const message =
    line === 1
      ? `parse error at char ${col}: ${detail}`
      : `parse error at line ${line}, char ${col}: ${detail}`;
  return new PromQLParseError(pos, detail, message);
}

/** Parses a PromQL expression into the typed tree; throws PromQLParseError with Prometheus's wording. */
export function parsePromQL(query: string): Expr {
  if (query.length > MAX_QUERY_LENGTH) {
    throw parseError(
      query,
      0,
      `query is ${query.length} characters long, the most allowed is ${MAX_QUERY_LENGTH}`,
    );
  }
  const { tokens, error: lexError } = lex(query);
  if (lexError === null && tokens.length === 1)
    throw parseError(query, 0, "no expression found in input");

  const { tree, text } = parseWithLezer(query, tokens);
  const err = firstError(tree);
  if (err !== null) throw syntaxError(query, text, tokens, lexError, err.from);
  if (lexError !== null) throw parseError(query, lexError.pos, lexError.message);

  const top = tree.topNode.firstChild as SyntaxNode;
  try {
    const expr = new TreeBuilder(query).expr(top);
    checkExpr(expr, query);
    return expr;
  } catch (e) {
    if (e instanceof BuildFailure) throw parseError(query, e.pos, e.message);
    throw e;
  }
}

/**
 * Runs lezer on a copy of the query adjusted, character for character, where
 * this lezer-promql release reads less than Prometheus: keywords of duration
 * expressions in any case, numbers ending in ".", functions it does not know.
 */
function parseWithLezer(query: string, tokens: Token[]): { tree: Tree; text: string } {
  const chars = query.split("");
  const put = (pos: number, text: string): void => {
    for (let i = 0; i < text.length; i++) chars[pos + i] = text[i] as string;
  };
  const standIns: Array<[number, string]> = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind === "preprocessor") put(t.pos, t.text.toLowerCase());
    else if (t.kind === "number" && t.text.endsWith(".") && t.text.length > 1)
      put(t.pos + t.text.length - 1, " ");
    const sub = LEZER_STAND_INS.get(t.text.toLowerCase());
    if (sub !== undefined && tokens[i + 1]?.text === "(") standIns.push([t.pos, sub]);
  }
  const plain = chars.join("");
  const tree = parser.parse(plain);
  if (standIns.length === 0 || !hasError(tree)) return { tree, text: plain };
  // The stand-in names are tried only when the query does not parse as it is
  // (min_of and max_of are also keywords of duration expressions).
  for (const [pos, sub] of standIns) put(pos, sub);
  const text = chars.join("");
  const withStandIns = parser.parse(text);
  return hasError(withStandIns) ? { tree, text: plain } : { tree: withStandIns, text };
}

const CLOSER: Record<string, string> = { "(": ")", "[": "]", "{": "}" };
// What may complete a prefix: an operand, a matcher's rest, a duration, a
// grouping list; then the open brackets closed; then an aggregation's body.
const COMPLETIONS = ["", " 1", ' =""', ' ""', " 1m", " ()", " foo"];
const TAILS = ["", "(1)"];

/**
 * Whether tokens[0..last] can begin a valid query, tried by completing the
 * text a few ways and asking lezer. This finds the token Prometheus's parser
 * stops at, where lezer's own error recovery points a little off.
 */
function viablePrefix(text: string, tokens: Token[], last: number): boolean {
  const open: string[] = [];
  for (let i = 0; i <= last; i++) {
    const t = (tokens[i] as Token).text;
    if (t === "(" || t === "[" || t === "{") open.push(t);
    else if (t === ")" || t === "]" || t === "}") {
      const top = open.pop();
      if (top === undefined || CLOSER[top] !== t) return false;
    }
  }
  const tok = tokens[last] as Token;
  const prefix = text.slice(0, tok.pos + tok.text.length);
  let closers = "";
  for (let i = open.length - 1; i >= 0; i--) closers += CLOSER[open[i] as string];
  for (const c of COMPLETIONS) {
    for (const tail of TAILS) {
      if (!hasError(parser.parse(prefix + c + closers + tail))) return true;
    }
  }
  return false;
}

/** The most steps taken from lezer's error position to the token Prometheus reports; keeps error reporting linear. */
const MAX_ERROR_SEARCH_STEPS = 8;

/** The index of the first token that cannot continue the query (tokens.length when all can: the input ended early). */
function firstUnexpected(text: string, tokens: Token[], start: number): number {
  const real = tokens[tokens.length - 1]?.kind === "eof" ? tokens.length - 1 : tokens.length;
  let i = Math.min(Math.max(start, 0), real);
  if (i < real && viablePrefix(text, tokens, i)) {
    for (let steps = 0; i < real && steps < MAX_ERROR_SEARCH_STEPS; steps++) {
      if (!viablePrefix(text, tokens, i)) return i;
      i++;
    }
    return i;
  }
  for (let steps = 0; i > 0 && steps < MAX_ERROR_SEARCH_STEPS; steps++) {
    if (viablePrefix(text, tokens, i - 1)) return i;
    i--;
  }
  return i;
}

const GROUPING_KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);

/** The error Prometheus's parser reports where lezer found the syntax broken. */
function syntaxError(
  query: string,
  lezerText: string,
  tokens: Token[],
  lexError: LexError | null,
  errPos: number,
): PromQLParseError {
  const lezerAt = tokens.findIndex((t) => t.pos + t.text.length > errPos || t.kind === "eof");
  const at = firstUnexpected(lezerText, tokens, lezerAt < 0 ? tokens.length : lezerAt);
  // Prometheus's parser reads tokens as it goes: a lexical error wins when
  // every token before it could still begin a valid query.
  if (lexError !== null && at >= tokens.length)
    return parseError(query, lexError.pos, lexError.message);
  // An unknown function name is reported before anything inside its parentheses.
  for (let i = 0; i + 1 < tokens.length && i <= at; i++) {
    const t = tokens[i] as Token;
    if (
      (t.kind === "identifier" || t.kind === "metricIdentifier") &&
      (tokens[i + 1] as Token).text === "(" &&
      !FUNCTION_SIGNATURES.has(t.text) &&
      tokens[i - 1]?.kind !== "aggregator" &&
      !isInsideBraces(tokens, i)
    ) {
      return parseError(query, t.pos, `unknown function with name ${JSON.stringify(t.text)}`);
    }
  }
  const tok = tokens[at] as Token;
  const prev = tokens[at - 1];
  if (tok.text === ")" && prev?.text === ",") {
    return parseError(query, prev.pos, "trailing commas not allowed in function call args");
  }
  if (tok.kind === "duration") {
    const d = parseDurationMs(tok.text);
    if (typeof d !== "number") return parseError(query, tok.pos, d.error);
  }
  return parseError(query, tok.pos, `unexpected ${describeToken(tok)}${context(tokens, at)}`);
}

function isInsideBraces(tokens: Token[], idx: number): boolean {
  let open = false;
  for (let i = 0; i < idx; i++) {
    const t = (tokens[i] as Token).text;
    if (t === "{") open = true;
    else if (t === "}") open = false;
  }
  return open;
}

/** The " in <context>, expected <what>" part of Prometheus's message, from the tokens before the error. */
function context(tokens: Token[], idx: number): string {
  let braces = false;
  let bracket = false;
  let colon = false;
  let grouping = false;
  let bracketNumber = false;
  for (let i = 0; i < idx; i++) {
    const t = tokens[i] as Token;
    const prev = tokens[i - 1];
    if (t.text === "{") braces = true;
    else if (t.text === "}") braces = false;
    else if (t.text === "[") {
      bracket = true;
      colon = false;
      bracketNumber = false;
    } else if (t.text === "]") bracket = false;
    else if (bracket && (t.kind === "number" || t.kind === "duration" || t.text === ")"))
      bracketNumber = true;
    else if (t.text === ":" && bracket) colon = true;
    else if (t.text === "(" && prev !== undefined && GROUPING_KEYWORDS.has(prev.text.toLowerCase()))
      grouping = true;
    else if (t.text === ")") grouping = false;
  }
  const prev = tokens[idx - 1];
  if (prev === undefined) return "";
  const p = prev.text.toLowerCase();
  if (braces) {
    if (p === "{" || p === ",") return ' in label matching, expected identifier or "}"';
    if (
      prev.kind === "identifier" ||
      (prev.kind === "string" && tokens[idx - 2]?.text !== "=" && !isMatchOp(tokens[idx - 2]))
    ) {
      if (prev.kind === "identifier") return " in label matching, expected label matching operator";
    }
    if (isMatchOp(prev)) return " in label matching, expected string";
    return ' in label matching, expected "," or "}"';
  }
  if (grouping) {
    if (p === "(" || p === ",") return " in grouping opts, expected label";
    return ' in grouping opts, expected "," or ")"';
  }
  if (p === "by" || p === "without" || p === "on" || p === "ignoring")
    return ' in grouping opts, expected "("';
  if (p === "offset") return " in offset, expected number, duration, step(), or range()";
  if (p === "@" || ((p === "start" || p === "end") && tokens[idx - 2]?.text === "@")) {
    return " in @, expected timestamp";
  }
  if (p === ")" && afterAggregationModifier(tokens, idx - 1)) return " in aggregation";
  if (bracket) {
    if (p === "[" || !bracketNumber)
      return " in subquery or range selector, expected number, duration, step(), or range()";
    if (p === ":")
      return ' in subquery selector, expected number, duration, step(), range(), or "]"';
    if (colon) return ' in subquery selector, expected "]"';
    return ' in subquery or range, expected ":" or "]"';
  }
  return "";
}

/** Whether the ")" at close ends the by/without list of an aggregation ("sum by (a)"). */
function afterAggregationModifier(tokens: Token[], close: number): boolean {
  let i = close - 1;
  while (i >= 0 && (tokens[i] as Token).text !== "(") i--;
  const kw = tokens[i - 1];
  if (kw === undefined || (kw.text.toLowerCase() !== "by" && kw.text.toLowerCase() !== "without"))
    return false;
  return tokens[i - 2]?.kind === "aggregator";
}

function isMatchOp(t: Token | undefined): boolean {
  return (
    t !== undefined && (t.text === "=" || t.text === "!=" || t.text === "=~" || t.text === "!~")
  );
}
