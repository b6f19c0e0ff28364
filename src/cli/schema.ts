// The machinery of the configuration's schema: each key's kind, bounds and
// default written down as data, the type of the checked configuration
// computed from that data, and the one walk that checks a parsed YAML value
// against it (unknown keys with did-you-mean, values, defaults, lists).
import { ConfigError } from "./config-error.js";
import { type ListenAddress, parseAddress, parseDuration, parseSize } from "./config-values.js";

/**
 * What every key holding a value may declare. `default` is written as the
 * file would write it ("32MiB", "10s") and checked like a written value;
 * a null default stays null (the component chooses). Without a default the
 * key is optional and left out of the checked configuration when absent,
 * unless `required` makes its absence an error.
 */
interface LeafOptions<Written> {
  readonly default?: Written | null;
  readonly required?: true;
  /** Among the entries of a list, no two may share this key's value. */
  readonly unique?: true;
  /** The key's name in the checked configuration, where it differs from the file's. */
  readonly as?: string;
}

/** The kind, bounds and default of a key holding one value. */
export type Leaf =
  | (LeafOptions<string> & {
      readonly kind: "string";
      /** What a value must be, when more than "a non-empty string". */
      readonly expected?: string;
      readonly accepts?: (value: string) => boolean;
    })
  | (LeafOptions<string> & { readonly kind: "enum"; readonly values: readonly string[] })
  | (LeafOptions<boolean> & { readonly kind: "bool" })
  | (LeafOptions<number> & { readonly kind: "int"; readonly min: number; readonly max: number })
  | (LeafOptions<string | number> & { readonly kind: "size"; readonly max: number })
  | (LeafOptions<string> & {
      readonly kind: "duration";
      readonly min: number;
      /** Longest duration accepted, milliseconds (no bound when left out). */
      readonly max?: number;
    })
  | (LeafOptions<string> & { readonly kind: "address" });

/** A key of a mapping: a value, a section of keys, a list of entries, or keys read inline. */
export type Spec = (Leaf & { readonly doc: string }) | Section | Inline | List;

/** The keys of one mapping of the file, in the order they are checked and listed. */
export interface Fields {
  readonly [key: string]: Spec;
}

/** A mapping under its own key. */
export interface Section<F extends Fields = Fields> {
  readonly kind: "section";
  readonly doc: string;
  readonly fields: F;
}

/** Keys written in the enclosing mapping but grouped under this key in the checked configuration. */
export interface Inline<F extends Fields = Fields> {
  readonly kind: "inline";
  readonly fields: F;
}

/** A list of mappings, each checked against `entry`. */
export interface List<F extends Fields = Fields> {
  readonly kind: "list";
  readonly doc: string;
  /** What one entry is, for messages: "a list of namespaces". */
  readonly noun: string;
  readonly entry: F;
  /** The entries when the key is absent or null, written as the file would write them. */
  readonly default: readonly unknown[];
  /** Checks what spans an entry's keys once each key is checked; may fill in values derived from others. */
  refine?(entry: ConfigOf<F>, raw: Readonly<Record<string, unknown>>, path: string): void;
}

// ---- the configuration's type, computed from the schema ----------------------------

/** The checked value of a leaf: sizes in bytes, durations in ms, addresses parsed. */
type LeafValue<L> = L extends { kind: "enum"; values: readonly (infer V)[] }
  ? V
  : L extends { kind: "string" }
    ? string
    : L extends { kind: "bool" }
      ? boolean
      : L extends { kind: "int" | "size" | "duration" }
        ? number
        : L extends { kind: "address" }
          ? ListenAddress
          : never;

/** The checked value of any key. */
export type ValueOf<S> = S extends { kind: "section" | "inline"; fields: infer F }
  ? ConfigOf<F>
  : S extends { kind: "list"; entry: infer F }
    ? ConfigOf<F>[]
    : S extends { default: null }
      ? LeafValue<S> | null
      : LeafValue<S>;

type IsOptional<S> = S extends { kind: "section" | "inline" | "list" }
  ? false
  : S extends { default: unknown }
    ? false
    : S extends { required: true }
      ? false
      : true;

type OutKey<K, S> = S extends { as: infer A extends string } ? A : K;

type Flatten<T> = { [K in keyof T]: T[K] } & {};

/** The checked configuration that a mapping's fields describe. */
export type ConfigOf<F> = Flatten<
  {
    -readonly [K in keyof F as IsOptional<F[K]> extends true ? never : OutKey<K, F[K]>]: ValueOf<
      F[K]
    >;
  } & {
    -readonly [K in keyof F as IsOptional<F[K]> extends true ? OutKey<K, F[K]> : never]?: ValueOf<
      F[K]
    >;
  }
>;

// ---- writing the schema ------------------------------------------------------------

/** A key holding one value; `const` keeps its kind, enum values and default exact for ConfigOf. */
export function leaf<const L extends Leaf>(spec: L, doc: string): L & { readonly doc: string } {
  return { ...spec, doc };
}

/** A mapping under its own key. */
export function section<const F extends Fields>(doc: string, fields: F): Section<F> {
  return { kind: "section", doc, fields };
}

/** Keys written in the enclosing mapping, grouped under one key once checked. */
export function inline<const F extends Fields>(fields: F): Inline<F> {
  return { kind: "inline", fields };
}

/** A list of mappings. */
export function list<const F extends Fields>(spec: Omit<List<F>, "kind">): List<F> {
  return { kind: "list", ...spec };
}

// ---- checking ----------------------------------------------------------------------

/** Checks a parsed YAML document against the schema and returns the configuration it describes. */
export function checkConfig<const F extends Fields>(fields: F, raw: unknown): ConfigOf<F> {
  // The walk builds what ConfigOf computes, key by key from the same table;
  // this is where the built object takes the computed type.
  return checkMapping(fields, raw, "") as ConfigOf<F>;
}

/** Values seen so far at a list's unique keys, and what an entry is called. */
interface Uniques {
  readonly noun: string;
  readonly seen: Map<string, Set<unknown>>;
}

function checkMapping(
  fields: Fields,
  raw: unknown,
  path: string,
  uniques?: Uniques,
): Record<string, unknown> {
  const mapping = asMapping(raw, path === "" ? "configuration" : path);
  const allowed = fileKeys(fields);
  for (const key of Object.keys(mapping)) {
    if (!allowed.includes(key)) throw unknownKey(path, key, allowed);
  }
  return readFields(fields, mapping, path, uniques);
}

function readFields(
  fields: Fields,
  mapping: Readonly<Record<string, unknown>>,
  path: string,
  uniques: Uniques | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(fields)) {
    const where = join(path, key);
    switch (spec.kind) {
      case "section":
        out[key] = checkMapping(spec.fields, mapping[key], where);
        break;
      case "inline":
        out[key] = readFields(spec.fields, mapping, path, uniques);
        break;
      case "list":
        out[key] = checkList(spec, mapping[key], where);
        break;
      default: {
        const value = readLeaf(spec, mapping[key], where);
        if (spec.unique && uniques !== undefined) checkUnique(uniques, key, value, where);
        if (value !== undefined) out[spec.as ?? key] = value;
      }
    }
  }
  return out;
}

function checkList(spec: List, raw: unknown, path: string): unknown[] {
  const entries = raw === undefined || raw === null ? spec.default : raw;
  if (!Array.isArray(entries)) throw new ConfigError(path, entries, `a list of ${spec.noun}s`);
  const uniques: Uniques = { noun: spec.noun, seen: new Map() };
  return entries.map((entry, i) => {
    const where = `${path}[${i}]`;
    const checked = checkMapping(spec.entry, entry, where, uniques);
    // checkMapping accepted `entry` as a mapping, and `checked` is what spec.entry describes.
    spec.refine?.(checked as ConfigOf<Fields>, entry as Record<string, unknown>, where);
    return checked;
  });
}

function checkUnique(uniques: Uniques, key: string, value: unknown, path: string): void {
  let seen = uniques.seen.get(key);
  if (seen === undefined) {
    seen = new Set();
    uniques.seen.set(key, seen);
  }
  if (seen.has(value)) {
    const article = /^[aeiou]/i.test(key) ? "an" : "a";
    throw new ConfigError(path, value, `${article} ${key} not used by another ${uniques.noun}`);
  }
  seen.add(value);
}

/** The keys a mapping may hold: its own, and those of its inline groups in their place. */
function fileKeys(fields: Fields): string[] {
  return Object.entries(fields).flatMap(([key, spec]) =>
    spec.kind === "inline" ? fileKeys(spec.fields) : [key],
  );
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

function asMapping(raw: unknown, key: string): Readonly<Record<string, unknown>> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw))
    throw new ConfigError(key, raw, "a mapping of keys to values");
  return raw as Record<string, unknown>;
}

function readLeaf(spec: Leaf, value: unknown, key: string): unknown {
  if (value !== undefined && value !== null) return checkLeaf(spec, value, key);
  if (spec.default === null) return null;
  if (spec.default !== undefined) return checkLeaf(spec, spec.default, key);
  // No kind accepts nothing, so a required key's absence throws here.
  if (spec.required) return checkLeaf(spec, value, key);
  return undefined;
}

function checkLeaf(spec: Leaf, value: unknown, key: string): unknown {
  switch (spec.kind) {
    case "string": {
      const ok = typeof value === "string" && value !== "" && (spec.accepts?.(value) ?? true);
      if (!ok) throw new ConfigError(key, value, spec.expected ?? "a non-empty string");
      return value;
    }
    case "enum":
      if (typeof value !== "string" || !spec.values.includes(value)) {
        throw new ConfigError(
          key,
          value,
          `one of ${spec.values.map((x) => JSON.stringify(x)).join(", ")}`,
        );
      }
      return value;
    case "bool":
      if (typeof value !== "boolean") throw new ConfigError(key, value, "true or false");
      return value;
    case "int":
      if (
        !(Number.isInteger(value) && (value as number) >= spec.min && (value as number) <= spec.max)
      ) {
        throw new ConfigError(key, value, `an integer from ${spec.min} to ${spec.max}`);
      }
      return value;
    case "size":
      return parseSize(value, key, spec.max);
    case "duration":
      return parseDuration(value, key, spec.min, spec.max);
    case "address":
      return parseAddress(value, key);
  }
}

function unknownKey(path: string, key: string, allowed: string[]): ConfigError {
  // An obvious typo: at most two edits (one for short keys), case ignored.
  let near: string | undefined;
  let best = key.length <= 4 ? 1 : 2;
  if (key.length <= 64) {
    for (const a of allowed) {
      const d = editDistance(a.toLowerCase(), key.toLowerCase());
      if (d <= best) {
        near = a;
        best = d - 1;
      }
    }
  }
  return new ConfigError(
    join(path, key),
    key,
    `a known key${near === undefined ? "" : ` (did you mean ${near}?)`}; keys here: ${allowed.join(", ")}`,
  );
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [
    i,
    ...new Array<number>(b.length).fill(0),
  ]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(
        d[i - 1][j] + 1,
        d[i][j - 1] + 1,
        d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
  }
  return d[a.length][b.length];
}

// ---- reading the schema ------------------------------------------------------------

/** A key holding a value: its path in the file, its path in the checked configuration, its spec. */
export interface LeafPath {
  readonly file: string;
  readonly config: string;
  readonly spec: Leaf & { readonly doc: string };
}

/** Every key holding a value, in table order; a list's entry keys are under `key[]`. */
export function leafPaths(fields: Fields, file = "", config = ""): LeafPath[] {
  return Object.entries(fields).flatMap(([key, spec]): LeafPath[] => {
    switch (spec.kind) {
      case "section":
        return leafPaths(spec.fields, join(file, key), join(config, key));
      case "inline":
        return leafPaths(spec.fields, file, join(config, key));
      case "list":
        return leafPaths(spec.entry, `${join(file, key)}[]`, `${join(config, key)}[]`);
      default:
        return [{ file: join(file, key), config: join(config, spec.as ?? key), spec }];
    }
  });
}
