// Remote write version negotiation: Content-Type and Content-Encoding as the 2.0
// specification and HTTP media types define them.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  checkContentEncoding,
  EXEMPLARS_WRITTEN_HEADER,
  HISTOGRAMS_WRITTEN_HEADER,
  remoteWriteVersionOf,
  SAMPLES_WRITTEN_HEADER,
  UnsupportedMediaTypeError,
} from "./remote-write-version.js";

const V1 = "prometheus.WriteRequest";
const V2 = "io.prometheus.write.v2.Request";

function assertRefused(fn: () => unknown, header: string, value: string, reason: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UnsupportedMediaTypeError, String(e));
    assert.equal(e.code, "M3TS_ERR_UNSUPPORTED_MEDIA_TYPE");
    assert.equal(e.header, header);
    assert.equal(e.value, value);
    assert.ok(e.message.includes(JSON.stringify(value)), e.message);
    assert.match(e.message, reason);
    return true;
  });
}

test("no Content-Type, the bare protobuf type or proto=prometheus.WriteRequest is 1.0", () => {
  for (const t of [
    undefined,
    "",
    "  ",
    "application/x-protobuf",
    `application/x-protobuf;proto=${V1}`,
    `application/x-protobuf; proto="${V1}"`,
    "application/x-protobuf;",
    "application/x-protobuf; charset=utf-8",
  ]) {
    assert.equal(remoteWriteVersionOf(t), "1.0", String(t));
  }
});

test("proto=io.prometheus.write.v2.Request is 2.0, with the media type's case, spacing and quoting", () => {
  for (const t of [
    `application/x-protobuf;proto=${V2}`,
    `Application/X-Protobuf; PROTO=${V2}`,
    ` application/x-protobuf ;\tproto = ${V2} `,
    `application/x-protobuf; charset="a;b"; proto="${V2}"`,
    `application/x-protobuf;;proto=${V2};`,
    `application/x-protobuf; proto=${V2}; proto="${V2}"`,
  ]) {
    assert.equal(remoteWriteVersionOf(t), "2.0", t);
  }
});

test("property: case of type and names, whitespace, quoting and other parameters do not change the version", () => {
  const ows = fc.constantFrom("", " ", "\t", "  ");
  const recase = (s: string) =>
    fc
      .array(fc.boolean(), { minLength: s.length, maxLength: s.length })
      .map((up) => Array.from(s, (c, i) => (up[i] ? c.toUpperCase() : c)).join(""));
  const other = fc
    .tuple(fc.constantFrom("charset", "encoding", "q"), fc.constantFrom("utf-8", '"x;y=z"', "1"))
    .map(([n, v]) => `${n}=${v}`);
  fc.assert(
    fc.property(
      recase("application/x-protobuf"),
      recase("proto"),
      fc.constantFrom<["1.0" | "2.0", string]>(["1.0", V1], ["2.0", V2]),
      fc.boolean(),
      fc.array(other, { maxLength: 2 }),
      fc.array(other, { maxLength: 2 }),
      fc.array(ows, { minLength: 8, maxLength: 8 }),
      (type, name, [version, proto], quoted, before, after, ws) => {
        const value = quoted ? `"${proto}"` : proto;
        const params = [...before, `${name}${ws[0]}=${ws[1]}${value}`, ...after];
        const header = `${ws[2]}${type}${ws[3]}${params.map((p) => `;${ws[4]}${p}${ws[5]}`).join("")}${ws[6]}`;
        assert.equal(remoteWriteVersionOf(header), version, header);
      },
    ),
  );
});

test("other media types are refused, naming the type sent and the accepted ones", () => {
  for (const t of [
    "application/json",
    "text/plain",
    "application/x-protobufx",
    "application/x-protobuf-v2",
    "application/protobuf;proto=io.prometheus.write.v2.Request",
  ]) {
    assertRefused(
      () => remoteWriteVersionOf(t),
      "Content-Type",
      t,
      /not application\/x-protobuf.*send application\/x-protobuf .*proto=io\.prometheus\.write\.v2\.Request \(2\.0\)/,
    );
  }
});

test("unknown protos, protos in another case, two protos and malformed parameters are refused", () => {
  const cases: [string, RegExp][] = [
    ["application/x-protobuf;proto=foo.Bar", /proto "foo\.Bar" is not a remote write message/],
    [`application/x-protobuf;proto=${V2.toLowerCase()}`, /is not a remote write message/],
    ["application/x-protobuf;proto=", /proto "" is not/],
    [`application/x-protobuf;proto=${V1};proto=${V2}`, /two different protos/],
    [`application/x-protobuf;${V2}`, /is not name=value/],
    [`application/x-protobuf;=${V2}`, /is not name=value/],
    [`application/x-protobuf;proto="${V2}`, /quoted parameter value is not closed/],
  ];
  for (const [t, reason] of cases)
    assertRefused(() => remoteWriteVersionOf(t), "Content-Type", t, reason);
});

test("property: any Content-Type gives a version or UnsupportedMediaTypeError, nothing else", () => {
  const piece = fc.constantFrom(
    "application/x-protobuf",
    ";",
    "=",
    '"',
    "\\",
    " ",
    "proto",
    V1,
    V2,
  );
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.array(piece).map((p) => p.join("")),
      ),
      (t) => {
        try {
          assert.ok(["1.0", "2.0"].includes(remoteWriteVersionOf(t)));
        } catch (e) {
          assert.ok(e instanceof UnsupportedMediaTypeError, String(e));
        }
      },
    ),
    { numRuns: 2000 },
  );
});

test("Content-Encoding: snappy in any case, or none, is accepted; anything else is refused", () => {
  for (const e of [undefined, "", "snappy", "Snappy", " SNAPPY "]) checkContentEncoding(e);
  for (const e of ["gzip", "identity", "snappy, gzip", "zstd", "snappy-framed"]) {
    assertRefused(
      () => checkContentEncoding(e),
      "Content-Encoding",
      e,
      /send Content-Encoding: snappy/,
    );
  }
});

test("the written-count response headers are the 2.0 specification's names", () => {
  assert.deepEqual(
    [SAMPLES_WRITTEN_HEADER, HISTOGRAMS_WRITTEN_HEADER, EXEMPLARS_WRITTEN_HEADER],
    ["Samples", "Histograms", "Exemplars"].map((k) => `X-Prometheus-Remote-Write-${k}-Written`),
  );
});
