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

test("the test encoder writes metric metadata as the protos define it (hand-encoded)", () => {
  const one = [
    {
      labels: [["__name__", "m"]] as [string, string][],
      timesMs: [],
      values: [],
      metadata: { type: 1, help: "h", unit: "u" },
    },
  ];
  assert.deepEqual(Array.from(encodeWriteRequest(one, { version: "2.0" })), [
    ...[0x22, 0x00], // symbol 0: ""
    ...[0x22, 0x01, 0x68], // symbol 1: "h" (help and unit are added first)
    ...[0x22, 0x01, 0x75], // symbol 2: "u"
    ...[0x22, 0x08, ...Buffer.from("__name__")], // symbol 3
    ...[0x22, 0x01, 0x6d], // symbol 4: "m"
    ...[0x2a, 0x0c], // timeseries, 12 bytes
    ...[0x0a, 0x02, 0x03, 0x04], // labels_refs packed [3, 4]
    ...[0x2a, 0x06, 0x08, 0x01, 0x18, 0x01, 0x20, 0x02], // metadata: counter, help 1, unit 2
  ]);
  assert.deepEqual(
    Array.from(
      encodeWriteRequest([], {
        version: "1.0",
        familyMetadata: [
          { type: 5, family: "rpc", help: "é" },
          { type: 0, family: "x" },
        ],
      }),
    ),
    [
      ...[0x1a, 0x0b], // metadata, 11 bytes
      ...[0x08, 0x05], // type summary
      ...[0x12, 0x03, 0x72, 0x70, 0x63], // metric_family_name "rpc"
      ...[0x22, 0x02, 0xc3, 0xa9], // help "é", two UTF-8 bytes
      ...[0x1a, 0x03, 0x12, 0x01, 0x78], // type unknown left out, family "x"
    ],
  );
  // A 1.0 series' metadata is request-level, after the series, named by its __name__.
  assert.deepEqual(Array.from(encodeWriteRequest(one, { version: "1.0" })).slice(-13), [
    ...[0x1a, 0x0b],
    ...[0x08, 0x01],
    ...[0x12, 0x01, 0x6d],
    ...[0x22, 0x01, 0x68],
    ...[0x2a, 0x01, 0x75],
  ]);
  assert.throws(
    () => encodeWriteRequest([], { version: "2.0", familyMetadata: [{ type: 1 }] }),
    /only 1.0 has/,
  );
});
