// The remote write request encoder of the tests and benchmarks: the bytes it
// writes for both versions are the bytes a proto3 sender writes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeWriteRequest } from "./request-encoder.js";

test("the test encoder writes the bytes a proto3 sender writes (hand-encoded)", () => {
  const one = [{ labels: [["a", "b"]] as [string, string][], timesMs: [1], values: [1] }];
  // 1.0 = 0x3ff0000000000000, little-endian.
  const one_0 = [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f];
  const sample = [0x12, 0x0b, 0x09, ...one_0, 0x10, 0x01];
  assert.deepEqual(Array.from(encodeWriteRequest(one, { version: "2.0" })), [
    ...[0x22, 0x00], // symbol 0: ""
    ...[0x22, 0x01, 0x61], // symbol 1: "a"
    ...[0x22, 0x01, 0x62], // symbol 2: "b"
    ...[0x2a, 0x13], // timeseries, 19 bytes
    ...[0x0a, 0x02, 0x01, 0x02], // labels_refs packed [1, 2]
    ...sample,
    ...[0x2a, 0x00], // metadata, always present and empty
  ]);
  assert.deepEqual(Array.from(encodeWriteRequest(one, { version: "1.0" })), [
    ...[0x0a, 0x15], // timeseries, 21 bytes
    ...[0x0a, 0x06, 0x0a, 0x01, 0x61, 0x12, 0x01, 0x62], // label a=b
    ...sample,
  ]);
  // Zero value and zero time are left out; an empty label name is too.
  const zeros = [{ labels: [["", "v"]] as [string, string][], timesMs: [0], values: [0] }];
  assert.deepEqual(Array.from(encodeWriteRequest(zeros, { version: "1.0" })), [
    ...[0x0a, 0x07],
    ...[0x0a, 0x03, 0x12, 0x01, 0x76],
    ...[0x12, 0x00],
  ]);
});
