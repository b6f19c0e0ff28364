// The one error a configuration raises: which key, what value, what was expected.
import { M3tsError } from "../x/index.js";

/** A configuration that breaks the schema: which key, what value, what was expected. */
export class ConfigError extends M3tsError {
  readonly key: string;
  readonly value: unknown;
  readonly expected: string;

  constructor(key: string, value: unknown, expected: string) {
    super("M3TS_ERR_CONFIG", `${key}: expected ${expected}, got ${show(value)}`);
    this.key = key;
    this.value = value;
    this.expected = expected;
  }
}

function show(v: unknown): string {
  if (v === undefined) return "nothing";
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    // A self-referencing YAML alias.
    s = Array.isArray(v) ? "a list" : "a mapping";
  }
  return s.length > 100 ? `${s.slice(0, 100)}…` : s;
}
