// Tests of the InfluxDB line protocol parser: the reference's escaping rules,
// field types, precisions, name sanitising, per-line problems, and properties
// (generated points round-trip; garbage never throws).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { InfluxPrecisionError, parseInfluxLines } from "./influx-line.js";
import type { ParsedSample } from "./parsed-sample.js";

const NOW = { nowMs: 1_700_000_000_000, nowNsInMs: 42 };

function parseOne(line: string, precision?: string): ParsedSample[] {
  const { samples, problems } = parseInfluxLines(line, { ...NOW, precision });
  assert.deepEqual(problems, [], `problems for ${JSON.stringify(line)}`);
  return samples;
}

function problemOf(line: string): string {
  const { samples, problems } = parseInfluxLines(line, NOW);
  assert.equal(samples.length, 0, `samples for ${JSON.stringify(line)}`);
  assert.equal(problems.length, 1, `problems for ${JSON.stringify(line)}`);
  assert.equal(problems[0].line, 1);
  return problems[0].reason;
}

function labelsOf(s: ParsedSample): Record<string, string> {
  return Object.fromEntries(s.labels);
}

describe("InfluxDB line protocol: structure", () => {
  test("each numeric field is a sample of <measurement>_<field> with the tags as labels", () => {
    const samples = parseOne("cpu,host=a,region=eu user=1.5,system=2i 1700000000000000000");
    assert.deepEqual(
      samples.map((s) => [labelsOf(s), s.value, s.timeMs, s.nsInMs]),
      [
        [{ __name__: "cpu_user", host: "a", region: "eu" }, 1.5, 1_700_000_000_000, 0],
        [{ __name__: "cpu_system", host: "a", region: "eu" }, 2, 1_700_000_000_000, 0],
      ],
    );
  });

  test("a point without tags and without a timestamp takes the given now", () => {
    const [s] = parseOne("mem free=3");
    assert.deepEqual(s, {
      labels: [["__name__", "mem_free"]],
      timeMs: NOW.nowMs,
      nsInMs: NOW.nowNsInMs,
      value: 3,
    });
  });

  test("comments, blank lines, CRLF and leading whitespace", () => {
    const body = "# a comment\r\n\r\n   \t\n  # indented comment\n\tmem a=1\r\nmem b=2 \r\n";
    const { samples, problems } = parseInfluxLines(body, NOW);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      samples.map((s) => [s.labels[0][1], s.value]),
      [
        ["mem_a", 1],
        ["mem_b", 2],
      ],
    );
  });

  test("runs of spaces between the sections are allowed", () => {
    const [s] = parseOne("mem,h=x   a=1    17   ", "s");
    assert.deepEqual([labelsOf(s), s.timeMs], [{ __name__: "mem_a", h: "x" }, 17_000]);
  });

  test("a bad line is reported with its 1-based number and the other lines still parse", () => {
    const body = "# header\nmem a=1\nmem a=\nmem a=2\n\nmem,=x a=3\nmem a=4";
    const { samples, problems } = parseInfluxLines(body, NOW);
    assert.deepEqual(
      samples.map((s) => s.value),
      [1, 2, 4],
    );
    assert.deepEqual(
      problems.map((p) => p.line),
      [3, 6],
    );
  });
});

describe("InfluxDB line protocol: escaping", () => {
  test("measurement: \\, and \\space are escapes; = needs none", () => {
    const [s] = parseOne("my\\ meas\\,ure=x f=1");
    // The unescaped name is "my meas,ure=x"; sanitised, each of " , =" is "_".
    assert.equal(s.labels[0][1], "my_meas_ure_x_f");
  });

  test("tag keys and values: \\, \\= and \\space are escapes", () => {
    const [s] = parseOne("m,k\\,e\\=y\\ 1=v\\,a\\=l\\ ue f=1");
    assert.deepEqual(s.labels[1], ["k_e_y_1", "v,a=l ue"]);
  });

  test("field keys: \\, \\= and \\space are escapes", () => {
    const [s] = parseOne("m f\\,i\\=e\\ ld=1");
    assert.equal(s.labels[0][1], "m_f_i_e_ld");
  });

  test("a doubled backslash is one backslash; a backslash before another character is literal", () => {
    const [s] = parseOne("m,t=a\\\\,u=b\\x f=1");
    assert.deepEqual(labelsOf(s), { __name__: "m_f", t: "a\\", u: "b\\x" });
    const [v] = parseOne("m,t=a\\\\\\ b f=1");
    assert.equal(labelsOf(v).t, "a\\ b");
  });

  test("a quoted string field may hold commas, spaces, equals and escaped quotes and backslashes; it is not a sample", () => {
    const samples = parseOne('m s="a, b=c \\"q\\" \\\\",n=1 5', "s");
    assert.deepEqual(
      samples.map((s) => [s.labels[0][1], s.value, s.timeMs]),
      [["m_n", 1, 5000]],
    );
    assert.deepEqual(parseOne('m s="only a string"'), []);
  });

  test("a string field ending in an escaped backslash closes at the next quote", () => {
    const samples = parseOne('m s="x\\\\",n=2');
    assert.deepEqual(
      samples.map((s) => s.value),
      [2],
    );
  });

  test("a newline inside a quoted string ends the line: the unclosed string is a problem", () => {
    const { samples, problems } = parseInfluxLines('m s="a\nb",n=1\nm n=2', NOW);
    assert.deepEqual(
      samples.map((s) => s.value),
      [2],
    );
    assert.deepEqual(
      problems.map((p) => p.line),
      [1, 2],
    );
    assert.match(problems[0].reason, /no closing quote/);
  });
});

describe("InfluxDB line protocol: field types", () => {
  test("floats, integers, unsigned and booleans", () => {
    const cases: [string, number][] = [
      ["1", 1],
      ["-1.5", -1.5],
      [".5", 0.5],
      ["5.", 5],
      ["-.25", -0.25],
      ["1e3", 1000],
      ["1.5E-2", 0.015],
      ["2e+2", 200],
      ["42i", 42],
      ["-42i", -42],
      ["9223372036854775807i", Number(2n ** 63n - 1n)],
      ["-9223372036854775808i", Number(-(2n ** 63n))],
      ["18446744073709551615u", Number(2n ** 64n - 1n)],
      ["0u", 0],
      ["t", 1],
      ["T", 1],
      ["true", 1],
      ["True", 1],
      ["TRUE", 1],
      ["f", 0],
      ["F", 0],
      ["false", 0],
      ["False", 0],
      ["FALSE", 0],
    ];
    for (const [text, value] of cases) {
      const [s] = parseOne(`m v=${text}`);
      assert.equal(s.value, value, text);
    }
  });

  test("-0i is the integer zero, not negative zero", () => {
    assert.ok(Object.is(parseOne("m v=-0i")[0].value, 0));
  });

  test("invalid values are problems naming the field and the value", () => {
    const bad = [
      "+1",
      "1.2.3",
      "1e",
      "NaN",
      "inf",
      "1e400",
      "1.5i",
      "1i2",
      "-1u",
      "1.0u",
      "9223372036854775808i",
      "-9223372036854775809i",
      "18446744073709551616u",
      "yes",
      "tru",
      "TRue",
      "1x",
    ];
    for (const text of bad) {
      const reason = problemOf(`m v=${text}`);
      assert.ok(reason.includes('"v"') && reason.includes(JSON.stringify(text)), reason);
    }
  });
});

describe("InfluxDB line protocol: timestamps and precision", () => {
  test("nanoseconds by default, exact past 2^53", () => {
    const [s] = parseOne("m v=1 1700000000123456789");
    assert.deepEqual([s.timeMs, s.nsInMs], [1_700_000_000_123, 456_789]);
  });

  test("every precision scales the timestamp", () => {
    const cases: [string, string, number, number][] = [
      ["ns", "1500000001", 1500, 1],
      ["n", "1500000001", 1500, 1],
      ["us", "1500001", 1500, 1000],
      ["u", "1500001", 1500, 1000],
      ["ms", "1500", 1500, 0],
      ["s", "15", 15_000, 0],
      ["m", "2", 120_000, 0],
      ["h", "3", 10_800_000, 0],
      ["", "7", 0, 7],
    ];
    for (const [precision, ts, timeMs, nsInMs] of cases) {
      const [s] = parseOne(`m v=1 ${ts}`, precision);
      assert.deepEqual([s.timeMs, s.nsInMs], [timeMs, nsInMs], precision);
    }
  });

  test("negative timestamps floor to the millisecond below", () => {
    const [s] = parseOne("m v=1 -1");
    assert.deepEqual([s.timeMs, s.nsInMs], [-1, 999_999]);
    const [t] = parseOne("m v=1 -2000000");
    assert.deepEqual([t.timeMs, t.nsInMs], [-2, 0]);
  });

  test("an unknown precision throws InfluxPrecisionError naming it", () => {
    for (const precision of ["fortnight", "S", "µs", "nanoseconds", "constructor"]) {
      assert.throws(
        () => parseInfluxLines("m v=1", { ...NOW, precision }),
        (e: unknown) =>
          e instanceof InfluxPrecisionError &&
          e.code === "M3TS_ERR_INFLUX_PRECISION" &&
          e.message.includes(JSON.stringify(precision)),
      );
    }
  });

  test("bad and out-of-range timestamps are problems", () => {
    assert.match(problemOf("m v=1 12a"), /timestamp "12a" is not an integer/);
    assert.match(problemOf("m v=1 1.5"), /timestamp "1.5"/);
    assert.match(problemOf("m v=1 9223372036854775808"), /outside/);
    assert.match(problemOf("m v=1 1 2"), /after the timestamp/);
    const { problems } = parseInfluxLines("m v=1 9300000000", { ...NOW, precision: "s" });
    assert.match(problems[0].reason, /outside/);
  });

  test("the int64 nanosecond range ends are accepted", () => {
    const [max] = parseOne("m v=1 9223372036854775807");
    assert.deepEqual([max.timeMs, max.nsInMs], [9_223_372_036_854, 775_807]);
    const [min] = parseOne("m v=1 -9223372036854775808");
    assert.deepEqual([min.timeMs, min.nsInMs], [-9_223_372_036_855, 224_192]);
  });
});

describe("InfluxDB line protocol: names", () => {
  test("names are sanitised to Prometheus's charset, one _ per UTF-8 byte of other characters", () => {
    const [s] = parseOne("1cpu.x:y,0host-name=v,ok_1=w f-é€=1");
    assert.deepEqual(labelsOf(s), {
      // é is 2 UTF-8 bytes, € is 3.
      __name__: "_cpu_x:y_f______",
      _host_name: "v",
      ok_1: "w",
    });
    const [colon] = parseOne("m,a:b=1 f=1");
    assert.deepEqual(labelsOf(colon), { __name__: "m_f", a_b: "1" });
  });

  test("two tags sanitising to one label name, or a __name__ tag, are a non-unique label problem", () => {
    assert.match(problemOf("m,a-b=1,a_b=2 f=1"), /non-unique label "a_b"/);
    assert.match(problemOf("m,a=1,a=2 f=1"), /non-unique label "a"/);
    assert.match(problemOf("m,__name__=x f=1"), /non-unique label "__name__"/);
  });
});

describe("InfluxDB line protocol: large lines", () => {
  test("a line of 50000 tags is parsed, and a duplicate among them found, in linear time", {
    timeout: 5_000,
  }, () => {
    const tags = Array.from({ length: 50_000 }, (_, i) => `,t${i}=v`).join("");
    const [s] = parseOne(`m${tags} f=1`);
    assert.equal(s.labels.length, 50_001);
    assert.match(problemOf(`m${tags},t49999=w f=1`), /non-unique label "t49999"/);
    assert.match(problemOf(`m${tags},__name__=w f=1`), /non-unique label "__name__"/);
  });
});

describe("InfluxDB line protocol: malformed lines", () => {
  const cases: [string, RegExp][] = [
    [",t=1 f=1", /missing measurement/],
    ["m", /measurement "m" has no fields/],
    ["m,t=1", /tag set ends the line/],
    ["m ", /missing fields/],
    ["m,t f=1", /tag "t" is not key=value/],
    ["m,=1 f=1", /tag "" is not key=value/],
    ["m,t= f=1", /tag "t" has an empty value/],
    ["m,t=a=b f=1", /unescaped "="/],
    ["m,t=1,", /tag "" is not key=value/],
    ["m f", /field "f" is not key=value/],
    ["m =1", /field "" is not key=value/],
    ["m f=", /field "f" has no value/],
    ["m f=1,", /the line ends after ","/],
    ['m s="x",', /the line ends after ","/],
    ["m f=1,g", /field "g" is not key=value/],
    ['m f="abc', /string field "f" has no closing quote/],
    ['m f="a"x', /unexpected "x" after field "f"/],
  ];
  for (const [line, reason] of cases) {
    test(`${JSON.stringify(line)} is refused: ${reason.source}`, () => {
      assert.match(problemOf(line), reason);
    });
  }
});

// Formatting with escaping, written here independently of the parser.
const escMeasurement = (s: string) => s.replace(/[\\, ]/g, "\\$&");
const escKey = (s: string) => s.replace(/[\\,= ]/g, "\\$&");
const escString = (s: string) => s.replace(/[\\"]/g, "\\$&");

function sanitizeOracle(s: string, first: RegExp, rest: RegExp): string {
  let out = "";
  for (const ch of s) {
    const ok = (out === "" ? first : rest).test(ch);
    out += ok ? ch : "_".repeat(Buffer.byteLength(ch));
  }
  return out;
}
const metricOracle = (s: string) => sanitizeOracle(s, /^[a-zA-Z_:]$/, /^[a-zA-Z0-9_:]$/);
const labelOracle = (s: string) => sanitizeOracle(s, /^[a-zA-Z_]$/, /^[a-zA-Z0-9_]$/);

// Characters that exercise every escape, plus letters, digits and multi-byte ones.
const nameChar = fc.constantFrom(..."aZ_:09-.,= \\\"#'é€😀".split(/(?:)/u));
const name = fc.string({ unit: nameChar, minLength: 1, maxLength: 8 });

type FieldValue =
  | { kind: "float"; v: number }
  | { kind: "int"; v: bigint }
  | { kind: "uint"; v: bigint }
  | { kind: "bool"; v: boolean; text: string }
  | { kind: "string"; v: string };

const fieldValue: fc.Arbitrary<FieldValue> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => ({ kind: "float" as const, v })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => ({ kind: "int" as const, v })),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) => ({ kind: "uint" as const, v })),
  fc
    .constantFrom("t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE")
    .map((text) => ({ kind: "bool" as const, v: text[0].toLowerCase() === "t", text })),
  fc.string({ unit: nameChar, maxLength: 10 }).map((v) => ({ kind: "string" as const, v })),
);

function formatValue(f: FieldValue): string {
  switch (f.kind) {
    case "float":
      return String(f.v);
    case "int":
      return `${f.v}i`;
    case "uint":
      return `${f.v}u`;
    case "bool":
      return f.text;
    case "string":
      return `"${escString(f.v)}"`;
  }
}

function numberOf(f: FieldValue): number | null {
  switch (f.kind) {
    case "float":
      return Number(String(f.v)); // the text of -0 is "0"
    case "int":
    case "uint":
      return Number(f.v);
    case "bool":
      return f.v ? 1 : 0;
    case "string":
      return null;
  }
}

const PRECISION_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const point = fc.record({
  measurement: name.filter((m) => !m.startsWith("#")),
  tags: fc.array(fc.tuple(name, name), { maxLength: 4 }),
  fields: fc.array(fc.tuple(name, fieldValue), { minLength: 1, maxLength: 4 }),
  precision: fc.constantFrom(...Object.keys(PRECISION_NS)),
  // A fraction of the int64 ns range, scaled by the precision below.
  instantNs: fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { nil: undefined }),
});

describe("InfluxDB line protocol: properties", () => {
  test("generated points, formatted with escaping, parse back to their samples", () => {
    fc.assert(
      fc.property(point, (p) => {
        const unit = PRECISION_NS[p.precision];
        const ts = p.instantNs === undefined ? undefined : p.instantNs / unit;
        let line = escMeasurement(p.measurement);
        for (const [k, v] of p.tags) line += `,${escKey(k)}=${escKey(v)}`;
        line += ` ${p.fields.map(([k, v]) => `${escKey(k)}=${formatValue(v)}`).join(",")}`;
        if (ts !== undefined) line += ` ${ts}`;
        const { samples, problems } = parseInfluxLines(line, {
          precision: p.precision,
          ...NOW,
        });

        const labelNames = p.tags.map(([k]) => labelOracle(k));
        const unique =
          new Set(labelNames).size === labelNames.length && !labelNames.includes("__name__");
        if (!unique) {
          assert.equal(samples.length, 0);
          assert.equal(problems.length, 1);
          assert.match(problems[0].reason, /non-unique label/);
          return;
        }
        assert.deepEqual(problems, []);
        let timeMs = NOW.nowMs;
        let nsInMs = NOW.nowNsInMs;
        if (ts !== undefined) {
          const ns = ts * unit;
          const ms = ns >= 0n ? ns / 1_000_000n : -((-ns + 999_999n) / 1_000_000n);
          timeMs = Number(ms);
          nsInMs = Number(ns - ms * 1_000_000n);
        }
        const expected: ParsedSample[] = [];
        for (const [k, v] of p.fields) {
          const value = numberOf(v);
          if (value === null) continue;
          expected.push({
            labels: [
              ["__name__", metricOracle(`${p.measurement}_${k}`)],
              ...p.tags.map(([tk, tv]): [string, string] => [labelOracle(tk), tv]),
            ],
            timeMs,
            nsInMs,
            value,
          });
        }
        assert.deepEqual(samples, expected, line);
      }),
      { numRuns: 500 },
    );
  });

  test("garbage and truncated bodies give samples or problems, never a throw", {
    timeout: 30_000,
  }, () => {
    const valid =
      'cpu,host=a\\ b,r=eu user=1.5,s="x,y",n=2i,u=3u,b=t 1700000000000000000\n# c\nmem free=1\r\n';
    const body = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: "binary", maxLength: 100 }),
      fc.string({ unit: fc.constantFrom(...'m ,=\\"#\n\r\t1.e-iutf'.split("")), maxLength: 80 }),
      fc.nat({ max: valid.length }).map((n) => valid.slice(0, n)),
      fc
        .tuple(fc.nat({ max: valid.length - 1 }), fc.string({ maxLength: 3 }))
        .map(([at, s]) => valid.slice(0, at) + s + valid.slice(at + 1)),
    );
    fc.assert(
      fc.property(body, (text) => {
        const { samples, problems } = parseInfluxLines(text, NOW);
        const lines = text.split("\n").length;
        for (const p of problems) {
          assert.ok(Number.isInteger(p.line) && p.line >= 1 && p.line <= lines);
          assert.equal(typeof p.reason, "string");
        }
        for (const s of samples) {
          assert.ok(Number.isSafeInteger(s.timeMs));
          assert.ok(Number.isInteger(s.nsInMs) && s.nsInMs >= 0 && s.nsInMs < 1_000_000);
          assert.equal(s.labels[0][0], "__name__");
          assert.match(s.labels[0][1], /^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
          for (const [n] of s.labels.slice(1)) assert.match(n, /^[a-zA-Z_][a-zA-Z0-9_]*$/);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
