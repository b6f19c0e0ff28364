// Go's %q, %g, %.Ng and strconv.FormatFloat(v, 'f', -1, 64), from the outputs
// Go's fmt and strconv document and print; and labels.String()'s form.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { formatFloatFixed, formatGoF, formatGoG, goQuote } from "./go-format.js";
import { labelsText } from "./labels.js";

test("goQuote writes Go's short escapes, \\xNN for other control bytes and DEL, and keeps printable runes", () => {
  assert.equal(goQuote(""), '""');
  assert.equal(goQuote("\x07\b\f\n\r\t\v"), '"\\a\\b\\f\\n\\r\\t\\v"');
  assert.equal(goQuote('say "hi" \\o/'), '"say \\"hi\\" \\\\o/"');
  assert.equal(goQuote("\x00\x1b\x1f\x7f"), '"\\x00\\x1b\\x1f\\x7f"');
  assert.equal(goQuote("naïve ☺ 😀 \ufffd"), '"naïve ☺ 😀 \ufffd"');
  assert.equal(goQuote("'single'"), "\"'single'\"");
});

test("goQuote's output read back as a JSON string is the input, for strings without DEL or \\a, \\v", () => {
  // JSON shares Go's \b \f \n \r \t \" \\ escapes; \xNN becomes JSON's \u00NN.
  const noGoOnly = fc
    .string({ unit: "binary-ascii" })
    .filter((s) => !["\x07", "\v", "\x7f"].some((c) => s.includes(c)));
  fc.assert(
    fc.property(noGoOnly, (s) => {
      const json = goQuote(s).replace(/\\(\\|x([0-9a-f]{2}))/g, (all, _e, hex) =>
        hex === undefined ? all : `\\u00${hex}`,
      );
      assert.equal(JSON.parse(json), s);
    }),
  );
});

test("formatGoG is fmt's %g: exponent form below 1e-4 and from 1e6 on, with a sign and two digits", () => {
  const cases: [number, string][] = [
    [999999, "999999"],
    [1e6, "1e+06"],
    [0.000123, "0.000123"],
    [0.0000123, "1.23e-05"],
    [-1e-7, "-1e-07"],
    [5e-324, "5e-324"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [0.1 + 0.2, "0.30000000000000004"],
    [-0, "-0"],
  ];
  for (const [v, want] of cases) assert.equal(formatGoG(v), want, String(v));
});

test("formatGoG with a precision is %.Ng: N significant digits, exponent form from the Nth power of ten", () => {
  assert.equal(formatGoG(100, 3), "100");
  assert.equal(formatGoG(1234.5, 3), "1.23e+03");
  assert.equal(formatGoG(123, 2), "1.2e+02");
  assert.equal(formatGoG(0.0001234, 2), "0.00012");
  assert.equal(formatGoG(0.00001234, 2), "1.2e-05");
  assert.equal(formatGoG(2, 0), "2");
  assert.equal(formatGoG(Number.NaN, 2), "NaN");
});

test("formatFloatFixed is strconv.FormatFloat(v, 'f', -1, 64): every digit, never an exponent", () => {
  assert.equal(formatFloatFixed(5e-324), `0.${"0".repeat(323)}5`);
  assert.equal(formatFloatFixed(1.7976931348623157e308), `17976931348623157${"0".repeat(292)}`);
  assert.equal(formatFloatFixed(1.2345678901234568e20), "123456789012345680000");
  assert.equal(formatFloatFixed(-1e-7), "-0.0000001");
});

test("formatFloatFixed and formatGoG read back as the same float", () => {
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
      assert.ok(Object.is(Number(formatFloatFixed(v)), v), formatFloatFixed(v));
      assert.ok(Object.is(Number(formatGoG(v)), v), formatGoG(v));
    }),
  );
});

test("formatGoF is %f: six decimals, rounded", () => {
  assert.equal(formatGoF(1.23456789), "1.234568");
  assert.equal(formatGoF(-3), "-3.000000");
  assert.equal(formatGoF(Number.NEGATIVE_INFINITY), "-Inf");
});

test("labelsText is labels.String(): legacy names bare, other names and all values quoted", () => {
  assert.equal(labelsText([]), "{}");
  assert.equal(
    labelsText([
      { name: "__name__", value: "up" },
      { name: "job", value: 'a"b' },
    ]),
    '{__name__="up", job="a\\"b"}',
  );
  assert.equal(
    labelsText([
      { name: "host.name", value: "x\ny" },
      { name: "_9", value: "\x7f" },
    ]),
    '{"host.name"="x\\ny", _9="\\x7f"}',
  );
});
