// The errors of namespace options: a value that breaks a rule, carrying that
// rule as data, and an update that would change an option fixed at creation.
import { M3tsError } from "../../x/index.js";

/** How a value compares with the bound of a relation rule. */
export type NamespaceOptionRelation =
  | "greater than"
  | "less than"
  | "at least"
  | "0 or at least"
  | "a multiple of";

/**
 * The rule an option's value breaks, as data, so a caller can restate it in
 * its own terms (the configuration file names options and durations its way).
 */
export type NamespaceOptionRule =
  /** The value is not of the option's kind; it must be `expected` ("true or false", "an object"). */
  | { readonly kind: "type"; readonly expected: string }
  /** A duration outside `minMs..maxMs` or not an integer number of milliseconds. */
  | { readonly kind: "range"; readonly minMs: number; readonly maxMs: number }
  /** The option is not one of `known`, the options of `section`. */
  | {
      readonly kind: "unknown";
      readonly section: "namespace" | "index";
      readonly known: readonly string[];
    }
  /**
   * The value must be `relation` `bound`: a constant when `boundOption` is
   * null, else the value (ms) of the option it names. With `whenIndexEnabled`
   * the rule applies only to a namespace whose index is on.
   */
  | {
      readonly kind: "relation";
      readonly relation: NamespaceOptionRelation;
      readonly bound: number;
      readonly boundOption: string | null;
      readonly whenIndexEnabled: boolean;
    }
  /** A name `length` characters long, past `limit`. */
  | { readonly kind: "length"; readonly length: number; readonly limit: number }
  /** A name with a character that is not `allowed`. */
  | { readonly kind: "characters"; readonly allowed: string }
  /** A name that is one of `reserved`. */
  | { readonly kind: "reserved"; readonly reserved: readonly string[] };

/** An option value outside what is allowed; the message names the option, the value and the rule. */
export class InvalidNamespaceOptionError extends M3tsError {
  readonly option: string;
  readonly value: unknown;
  readonly rule: NamespaceOptionRule;

  constructor(option: string, value: unknown, rule: NamespaceOptionRule) {
    super("M3TS_ERR_NAMESPACE_OPTION", `${option} ${show(value)} ${describeRule(rule, value)}`);
    this.option = option;
    this.value = value;
    this.rule = rule;
  }
}

/** A relation rule: bounded by `option`'s value, or by a constant when `option` is null. */
export function relation(
  relation: NamespaceOptionRelation,
  option: string | null,
  bound: number,
  whenIndexEnabled = false,
): NamespaceOptionRule {
  return { kind: "relation", relation, bound, boundOption: option, whenIndexEnabled };
}

/** The rule in the words of the error's message, after the option and its value. */
function describeRule(rule: NamespaceOptionRule, value: unknown): string {
  switch (rule.kind) {
    case "type":
      return `must be ${rule.expected}`;
    case "range": {
      const hint =
        typeof value === "string" ? ' (convert strings like "48h" with parseDurationMs)' : "";
      return `must be an integer number of milliseconds in ${rule.minMs}..${rule.maxMs}${hint}`;
    }
    case "unknown":
      return `is not ${rule.section === "index" ? "an index" : "a namespace"} option; known options: ${rule.known.join(", ")}`;
    case "relation": {
      const bound =
        rule.boundOption === null ? String(rule.bound) : `${rule.boundOption} ${rule.bound}`;
      const when = rule.whenIndexEnabled ? " when the index is enabled" : "";
      return `must be ${rule.relation} ${bound}${when}`;
    }
    case "length":
      return `is ${rule.length} characters long; the limit is ${rule.limit}`;
    case "characters":
      return `may hold only ${rule.allowed}`;
    case "reserved":
      return `must not be ${rule.reserved.map((r) => JSON.stringify(r)).join(" or ")}`;
  }
}

/** An update that would change an option fixed at a namespace's creation. */
export class ImmutableNamespaceOptionError extends M3tsError {
  readonly option: string;
  readonly current: unknown;
  readonly requested: unknown;

  /** The options that may change on an existing namespace. */
  readonly updatable: readonly string[];

  constructor(option: string, current: unknown, requested: unknown, updatable: readonly string[]) {
    super(
      "M3TS_ERR_NAMESPACE_OPTION_IMMUTABLE",
      `${option} cannot change on an existing namespace (${show(current)} -> ${show(requested)}): ` +
        `only ${updatable.join(", ")} may change, as in M3; ` +
        "create a new namespace to use other values",
    );
    this.option = option;
    this.current = current;
    this.requested = requested;
    this.updatable = updatable;
  }
}

function show(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
  }
  if (typeof value === "object" && value !== null) return Array.isArray(value) ? "array" : "object";
  return String(value);
}
