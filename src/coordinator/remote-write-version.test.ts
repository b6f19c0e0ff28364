import assert from "node:assert/strict";
import { test } from "node:test";
import {
  checkContentEncoding,
  remoteWriteVersionOf,
  UnsupportedMediaTypeError,
} from "./remote-write-version.js";

test("Content-Type picks the remote write version as the 2.0 specification says", () => {
  assert.equal(remoteWriteVersionOf(undefined), "1.0");
  assert.equal(remoteWriteVersionOf("application/x-protobuf"), "1.0");
  assert.equal(remoteWriteVersionOf("application/x-protobuf;proto=prometheus.WriteRequest"), "1.0");
  assert.equal(
    remoteWriteVersionOf("Application/X-Protobuf; proto=io.prometheus.write.v2.Request"),
    "2.0",
  );
  assert.equal(
    remoteWriteVersionOf(
      'application/x-protobuf; charset=x; proto="io.prometheus.write.v2.Request"',
    ),
    "2.0",
  );
});

test("other types, protos and encodings are refused naming what was sent", () => {
  for (const t of ["application/json", "application/x-protobuf;proto=foo.Bar"]) {
    assert.throws(
      () => remoteWriteVersionOf(t),
      (e: unknown) =>
        e instanceof UnsupportedMediaTypeError &&
        e.message.includes(t.includes("foo") ? "foo.Bar" : t),
    );
  }
  checkContentEncoding(undefined);
  checkContentEncoding("snappy");
  assert.throws(() => checkContentEncoding("gzip"), /Content-Encoding "gzip"/);
});
