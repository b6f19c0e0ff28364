// M3's admin JSON conventions, as its database/create and namespace handlers
// apply them: the Duration→Nanos rewrite of request bodies (M3's
// src/x/net/http/convert.go), and readers of jsonpb fields (lowerCamel or
// snake_case names, int64 nanoseconds as numbers or decimal strings). A value
// that does not fit is an AdminRequestError naming the field.
import { parseDurationMs } from "../x/index.js";
import { AdminRequestError } from "./placement.js";

export const NS_PER_MS = 1_000_000n;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

export type Json = Record<string, unknown>;

// ---- Duration → Nanos -------------------------------------------------------------

const DURATION = "Duration";

/**
 * M3's request rewrite (x/net/http/convert.go DurationToNanosMap), applied
 * at every depth: a key ending in `Duration` is renamed by replacing its
 * first `Duration` with `Nanos`; a string value is a Go duration turned into
 * nanoseconds (written as a decimal string, jsonpb's int64 form), a number
 * is taken as nanoseconds already, anything else is refused. A key given
 * both ways (`fooDuration` and `fooNanos`) is refused too, where M3 keeps
 * whichever its map iteration meets last.
 */
export function durationToNanos(json: unknown, path = ""): unknown {
  if (Array.isArray(json)) return json.map((v, i) => durationToNanos(v, `${path}[${i}]`));
  if (typeof json !== "object" || json === null) return json;
  const out: Json = {};
  for (const [key, value] of Object.entries(json)) {
    const where = path === "" ? key : `${path}.${key}`;
    if (!key.endsWith(DURATION)) {
      if (Object.hasOwn(out, key)) throw twice(where, value);
      define(out, key, durationToNanos(value, where));
      continue;
    }
    const nanosKey = key.replace(DURATION, "Nanos");
    if (Object.hasOwn(out, nanosKey) || Object.hasOwn(json, nanosKey)) throw twice(where, value);
    if (typeof value === "number") {
      define(out, nanosKey, value);
    } else if (typeof value === "string") {
      try {
        define(out, nanosKey, String(BigInt(parseDurationMs(value)) * NS_PER_MS));
      } catch (e) {
        throw new AdminRequestError(
          where,
          value,
          `a duration such as "48h" (${(e as Error).message})`,
        );
      }
    } else {
      throw new AdminRequestError(
        where,
        value,
        'a duration string such as "48h" or a number of nanoseconds',
      );
    }
  }
  return out;
}

/** Sets an own property, even one named `__proto__` (which JSON.parse creates as data). */
function define(o: Json, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function twice(where: string, value: unknown): AdminRequestError {
  return new AdminRequestError(
    where,
    value,
    "one spelling per field: give either ...Duration or ...Nanos, not both",
  );
}

// ---- jsonpb reading ---------------------------------------------------------------

/**
 * An object's fields under their lowerCamel names (jsonpb accepts the proto
 * snake_case names as well); a field not in `known` is refused, as jsonpb
 * refuses it, so a misspelt option is an error rather than a silent default.
 * null and absent give an empty object.
 */
export function jsonpbFields(json: unknown, at: string, known: readonly string[]): Json {
  if (json === undefined || json === null) return {};
  if (typeof json !== "object" || Array.isArray(json)) {
    throw new AdminRequestError(at, json, "a JSON object");
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(json)) {
    const camel = key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    const where = at === "body" ? key : `${at}.${key}`;
    if (!known.includes(camel)) {
      throw new AdminRequestError(where, value, `no such field; known fields: ${known.join(", ")}`);
    }
    if (Object.hasOwn(out, camel)) throw twice(where, value);
    out[camel] = value;
  }
  return out;
}

/** int64 nanoseconds (number or decimal string) as whole milliseconds; null and absent give undefined. */
export function jsonpbMs(value: unknown, at: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  let ns: bigint;
  if (typeof value === "string" && /^-?\d{1,20}$/.test(value)) ns = BigInt(value);
  else if (typeof value === "number" && Number.isSafeInteger(value)) ns = BigInt(value);
  else {
    throw new AdminRequestError(
      at,
      value,
      "an integer number of nanoseconds (a JSON number up to 2^53, or a decimal string)",
    );
  }
  if (ns > INT64_MAX || ns < INT64_MIN) {
    throw new AdminRequestError(at, value, "nanoseconds within int64 (about ±292 years)");
  }
  if (ns % NS_PER_MS !== 0n) {
    throw new AdminRequestError(
      at,
      value,
      "a whole number of milliseconds (a multiple of 1000000 ns)",
    );
  }
  return Number(ns / NS_PER_MS);
}

export function jsonpbBool(value: unknown, at: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw new AdminRequestError(at, value, "true or false");
  return value;
}

/** A positive int32 given as a number or a decimal string; 0 and absent (proto3's "not set") give undefined. */
export function jsonpbCount(value: unknown, at: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === "string" && /^\d{1,10}$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
    throw new AdminRequestError(at, value, "a positive integer");
  }
  return n === 0 ? undefined : n;
}

export function isJsonObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
