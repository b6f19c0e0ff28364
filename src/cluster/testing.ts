// Test helpers for the admin JSON parsers: an error must be an
// AdminRequestError naming its field, and nothing else may escape a parser.
import assert from "node:assert/strict";
import { AdminRequestError } from "./placement.js";

export function expectField(fn: () => unknown, field: string, expectation?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AdminRequestError, String(e));
    assert.equal(e.code, "M3TS_ERR_ADMIN_REQUEST");
    assert.equal(e.field, field);
    assert.ok(e.message.startsWith(`${field}:`), e.message);
    if (expectation !== undefined) assert.match(e.message, expectation);
    return true;
  });
}

/** Only AdminRequestError may escape a parser, whatever the input. */
export function onlyAdminErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof AdminRequestError, `${(e as Error).name}: ${(e as Error).message}`);
  }
}
