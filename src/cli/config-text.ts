// From the file's text to a plain value for the schema to check: YAML
// parsing with errors at file:line:col, then the expansion of ${NAME} and
// ${NAME:default} environment references in values, as M3's files allow.
import { LineCounter, parseDocument, visit } from "yaml";
import { ConfigError } from "./config-error.js";

/** Parses YAML text; a syntax error or an alias without an anchor is a ConfigError at file:line:col. */
export function parseConfigText(text: string, file: string): unknown {
  const lines = new LineCounter();
  // logLevel "error": YAML warnings (an unknown tag) must not print; the schema checks values.
  // prettyErrors false: an error's message is the rule alone; the position is added here.
  const doc = parseDocument(text, {
    uniqueKeys: true,
    logLevel: "error",
    lineCounter: lines,
    prettyErrors: false,
  });
  const fail = (offset: number | undefined, why: string): ConfigError => {
    if (offset === undefined) return new ConfigError(file, undefined, `valid YAML (${why})`);
    const at = lines.linePos(offset);
    return new ConfigError(
      `${file}:${at.line}:${at.col}`,
      text.split("\n")[at.line - 1],
      `valid YAML (${why})`,
    );
  };
  const error = doc.errors[0];
  if (error !== undefined) {
    throw fail(error.pos[0], error.message);
  }
  // toJS would throw a bare ReferenceError for these; find them first to say where.
  visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) === undefined) {
        throw fail(node.range?.[0], `alias *${node.source} has no anchor before it`);
      }
    },
  });
  try {
    return doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (e) {
    // Too many alias expansions (a "billion laughs" file).
    throw fail(undefined, (e as Error).message);
  }
}

const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}/g;
const WHOLE_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::[^}]*)?\}$/;
// Deeper than any valid file; also stops a self-referencing YAML alias.
const MAX_DEPTH = 16;

/** Expands environment references in every string value; keys are left as written. */
export function expandEnv(
  raw: unknown,
  env: Record<string, string | undefined>,
  path = "",
  depth = 0,
): unknown {
  if (depth > MAX_DEPTH) {
    throw new ConfigError(path, "…", `nesting at most ${MAX_DEPTH} levels deep`);
  }
  if (typeof raw === "string") {
    if (!raw.includes("$")) return raw;
    const expanded = raw.replace(
      REFERENCE,
      (m, name: string | undefined, fallback: string | undefined) => {
        if (m === "$$") return "$";
        const v = env[name as string];
        if (v !== undefined) return v;
        if (fallback !== undefined) return fallback;
        throw new ConfigError(
          path || "configuration",
          raw,
          `environment variable ${name} to be set (or a default: \${${name}:value})`,
        );
      },
    );
    // A value that is one whole reference takes the variable's type (a port, a flag).
    if (WHOLE_REFERENCE.test(raw)) {
      const t = expanded.trim();
      if (t === "true" || t === "false") return t === "true";
      if (/^-?\d+$/.test(t) && Number.isSafeInteger(Number(t))) return Number(t);
    }
    return expanded;
  }
  if (Array.isArray(raw)) return raw.map((v, i) => expandEnv(v, env, `${path}[${i}]`, depth + 1));
  if (typeof raw === "object" && raw !== null) {
    const out: Record<string, unknown> = {};
    // defineProperty keeps a key named __proto__ an ordinary (and so unknown) key.
    for (const [k, v] of Object.entries(raw))
      Object.defineProperty(out, k, {
        value: expandEnv(v, env, path === "" ? k : `${path}.${k}`, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  }
  return raw;
}
