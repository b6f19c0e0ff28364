// Assertions the configuration's tests share.
import assert from "node:assert/strict";
import { loadConfig, type M3tsConfig } from "./config.js";
import { ConfigError } from "./config-error.js";

/** Asserts that `fn` throws a ConfigError whose key starts with `key` and whose message matches. */
export function throwsConfigError(
  fn: () => unknown,
  key: string,
  message: RegExp,
  label?: string,
): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `${label}: not a ConfigError: ${String(e)}`);
    assert.equal(e.code, "M3TS_ERR_CONFIG");
    assert.ok(e.key.startsWith(key), `${label}: key ${e.key}, wanted ${key}`);
    assert.ok(e.message.startsWith(`${e.key}: expected `), `${label}: ${e.message}`);
    assert.match(e.message, message, label);
    return true;
  });
}

/** Loads configuration text with no environment variables. */
export const load = (text: string): M3tsConfig => loadConfig({ text, env: {} });

/** True when A and B are the same type (not merely assignable either way). */
export type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
