// Tests of the carbon plaintext line parser and the TCP stream line splitter:
// accepted forms, refusals, the line bound, and properties (round-trip of
// generated lines, any chunking gives the same lines, garbage never throws).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  CarbonLineLimitError,
  CarbonLineSplitter,
  type CarbonParse,
  parseCarbonLine,
} from "./carbon-line.js";
import type { ParsedSample } from "./parsed-sample.js";

const NOW_MS = 1_700_000_000_000;

function sampleOf(line: string): ParsedSample {
  const r = parseCarbonLine(line, NOW_MS);
  assert.ok("sample" in r, `refused ${JSON.stringify(line)}: ${"reason" in r ? r.reason : ""}`);
  return r.sample;
}

function reasonOf(line: string): string {
  const r: CarbonParse = parseCarbonLine(line, NOW_MS);
  assert.ok("reason" in r, `accepted ${JSON.stringify(line)}`);
  return r.reason;
}

describe("carbon line", () => {
  test("path value timestamp: the path's parts are __g0__, __g1__, … and there is no __name__", () => {
    assert.deepEqual(sampleOf("servers.web1.cpu 12.5 1700000000"), {
      labels: [
        ["__g0__", "servers"],
        ["__g1__", "web1"],
        ["__g2__", "cpu"],
      ],
      timeMs: 1_700_000_000_000,
      nsInMs: 0,
      value: 12.5,
    });
  });

  test("runs of spaces and tabs separate the fields; blanks and a \\r at the ends are ignored", () => {
    const s = sampleOf(" \ta.b \t  2\t\t 10  \r");
    assert.deepEqual(
      [s.labels, s.value, s.timeMs],
      [
        [
          ["__g0__", "a"],
          ["__g1__", "b"],
        ],
        2,
        10_000,
      ],
    );
  });

  test("fractional and exponent timestamps in seconds are exact to the nanosecond", () => {
    const cases: [string, number, number][] = [
      ["1700000000.123456789", 1_700_000_000_123, 456_789],
      ["1700000000.1234567891", 1_700_000_000_123, 456_789],
      ["1.7e9", 1_700_000_000_000, 0],
      ["0.000000001", 0, 1],
      ["-0.5", -500, 0],
      ["-2.000000001", -2001, 999_999],
    ];
    for (const [text, timeMs, nsInMs] of cases) {
      const s = sampleOf(`a 1 ${text}`);
      assert.deepEqual([s.timeMs, s.nsInMs], [timeMs, nsInMs], text);
    }
  });

  test("a missing timestamp, or one whose integer part is -1, means now", () => {
    for (const line of ["a 1", "a 1 -1", "a 1 -1.0", "a 1 -1.999999999"]) {
      assert.deepEqual([sampleOf(line).timeMs, sampleOf(line).nsInMs], [NOW_MS, 0], line);
    }
    assert.equal(sampleOf("a 1 -2").timeMs, -2000);
    assert.equal(sampleOf("a 1 -0.999").timeMs, -999);
  });

  test("values: decimals, exponents, and the nan/inf spellings in any case", () => {
    const cases: [string, number][] = [
      ["1", 1],
      ["-1.5", -1.5],
      ["+2", 2],
      [".5", 0.5],
      ["5.", 5],
      ["1e3", 1000],
      ["1E-3", 0.001],
      ["inf", Number.POSITIVE_INFINITY],
      ["+Inf", Number.POSITIVE_INFINITY],
      ["-INF", Number.NEGATIVE_INFINITY],
      ["Infinity", Number.POSITIVE_INFINITY],
      ["-infinity", Number.NEGATIVE_INFINITY],
      ["nan", Number.NaN],
      ["NaN", Number.NaN],
      ["-nan", Number.NaN],
      ["+NAN", Number.NaN],
    ];
    for (const [text, value] of cases) {
      assert.ok(Object.is(sampleOf(`a ${text} 1`).value, value), text);
    }
  });

  test("a trailing dot adds no part", () => {
    assert.deepEqual(sampleOf("a.b. 1 1").labels, [
      ["__g0__", "a"],
      ["__g1__", "b"],
    ]);
  });

  const refusals: [string, RegExp][] = [
    ["", /got 0 fields/],
    ["   ", /got 0 fields/],
    ["a", /got 1 fields/],
    ["a 1 2 3", /more than 3 fields/],
    ["a..b 1 1", /path "a..b" has an empty part at offset 2/],
    [".a 1 1", /path ".a" has an empty part at offset 0/],
    [". 1 1", /path "." has an empty part/],
    ["a.b.. 1 1", /empty part/],
    ["a one 1", /value "one" is not a number/],
    ["a 1e400 1", /value "1e400"/],
    ["a 0x10 1", /value "0x10"/],
    ["a 1_000 1", /value "1_000"/],
    ["a 1 yesterday", /timestamp "yesterday" is not a number/],
    ["a 1 1e30", /timestamp "1e30" is outside/],
    ["a 1 nan", /timestamp "nan"/],
  ];
  for (const [line, reason] of refusals) {
    test(`${JSON.stringify(line)} is refused: ${reason.source}`, () => {
      assert.match(reasonOf(line), reason);
    });
  }

  test("generated lines parse back to their parts, value and timestamp", () => {
    const part = fc.string({
      unit: fc.constantFrom(..."abcXYZ019-_:#é€".split("")),
      minLength: 1,
      maxLength: 6,
    });
    const blanks = fc.string({ unit: fc.constantFrom(" ", "\t"), minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(
        fc.array(part, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.double({ noNaN: true }),
        fc.bigInt({ min: 0n, max: 9_000_000_000n }),
        fc.bigInt({ min: 0n, max: 999_999_999n }),
        blanks,
        blanks,
        (parts, trailingDot, value, seconds, ns, sep1, sep2) => {
          const fraction = ns.toString().padStart(9, "0");
          const line = `${parts.join(".")}${trailingDot ? "." : ""}${sep1}${value}${sep2}${seconds}.${fraction}`;
          const totalNs = seconds * 1_000_000_000n + ns;
          assert.deepEqual(sampleOf(line), {
            labels: parts.map((p, i): [string, string] => [`__g${i}__`, p]),
            timeMs: Number(totalNs / 1_000_000n),
            nsInMs: Number(totalNs % 1_000_000n),
            value: Number(String(value)),
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  test("garbage lines give a sample or a reason, never a throw", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 100 }),
          fc.string({ unit: "binary", maxLength: 60 }),
          fc.string({ unit: fc.constantFrom(..."a. \t1-e+nN\r".split("")), maxLength: 30 }),
        ),
        (line) => {
          const r = parseCarbonLine(line, NOW_MS);
          if ("sample" in r) {
            assert.ok(Number.isSafeInteger(r.sample.timeMs));
            assert.ok(r.sample.nsInMs >= 0 && r.sample.nsInMs < 1_000_000);
            assert.ok(r.sample.labels.length > 0);
            for (const [, v] of r.sample.labels) assert.notEqual(v, "");
          } else {
            assert.equal(typeof r.reason, "string");
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

function collect(splitter: CarbonLineSplitter, chunks: Buffer[]): string[] {
  const lines: string[] = [];
  const onLine = (l: string) => lines.push(l);
  for (const c of chunks) splitter.push(c, onLine);
  splitter.end(onLine);
  return lines;
}

describe("carbon line splitter", () => {
  test("lines split across chunks are joined; \\r before \\n is dropped; a last line without \\n is kept", () => {
    const lines = collect(new CarbonLineSplitter(), [
      Buffer.from("a 1 1\r"),
      Buffer.from("\nb 2"),
      Buffer.from(" 2\n\nc 3 3"),
    ]);
    assert.deepEqual(lines, ["a 1 1", "b 2 2", "", "c 3 3"]);
  });

  test("a line of maxLineBytes is kept; one byte more is dropped and counted, and the next line is intact", () => {
    const s = new CarbonLineSplitter({ maxLineBytes: 8 });
    const lines = collect(s, [Buffer.from("12345678\r\n123456789\nok 1 1\n")]);
    assert.deepEqual(lines, ["12345678", "ok 1 1"]);
    assert.equal(s.droppedLongLines, 1);
    // The same, with the lines' ends in later chunks than their starts.
    const t = new CarbonLineSplitter({ maxLineBytes: 8 });
    const split = ["1234", "5678\r", "\n1234", "56789", "\r\nok", " 1 1"].map((c) =>
      Buffer.from(c),
    );
    assert.deepEqual(collect(t, split), ["12345678", "ok 1 1"]);
    assert.equal(t.droppedLongLines, 1);
  });

  test("a long line arriving in small chunks is dropped once, not held", () => {
    const s = new CarbonLineSplitter({ maxLineBytes: 16 });
    const chunks = [Buffer.from("start")];
    for (let i = 0; i < 10_000; i++) chunks.push(Buffer.alloc(100, 0x61));
    chunks.push(Buffer.from("\nnext 1 1\nlast"), Buffer.alloc(20, 0x62));
    const lines = collect(s, chunks);
    assert.deepEqual(lines, ["next 1 1"]);
    assert.equal(s.droppedLongLines, 2);
  });

  test("a line that is not UTF-8 is dropped and counted", () => {
    const s = new CarbonLineSplitter();
    const lines = collect(s, [Buffer.from([0x61, 0xff, 0x20, 0x31, 0x0a]), Buffer.from("é 1 1\n")]);
    assert.deepEqual(lines, ["é 1 1"]);
    assert.equal(s.droppedNonUtf8Lines, 1);
  });

  test("maxLineBytes must be a positive integer", () => {
    for (const maxLineBytes of [0, -1, 1.5, Number.NaN, 2 ** 40]) {
      assert.throws(
        () => new CarbonLineSplitter({ maxLineBytes }),
        (e: unknown) =>
          e instanceof CarbonLineLimitError && e.message.includes(String(maxLineBytes)),
      );
    }
  });

  test("any chunking of a stream gives the lines of the whole stream", () => {
    const MAX = 12;
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }).map((b) =>
          // Bias towards newlines and ASCII so that lines are short and many.
          Buffer.from(b.map((x) => (x % 5 === 0 ? 0x0a : x % 7 === 0 ? 0x0d : x & 0x7f))),
        ),
        fc.array(fc.nat({ max: 300 }), { maxLength: 20 }),
        (stream, cuts) => {
          // The oracle: split the whole stream at once.
          const expected: string[] = [];
          let dropped = 0;
          const parts = stream.toString("latin1").split("\n");
          parts.forEach((p, i) => {
            if (i === parts.length - 1 && p === "") return;
            const line = p.endsWith("\r") ? p.slice(0, -1) : p;
            if (line.length > MAX) dropped++;
            else expected.push(line);
          });
          const at = [...new Set(cuts.map((c) => Math.min(c, stream.length)))].sort(
            (a, b) => a - b,
          );
          const chunks: Buffer[] = [];
          let prev = 0;
          for (const c of [...at, stream.length]) {
            chunks.push(stream.subarray(prev, c));
            prev = c;
          }
          const s = new CarbonLineSplitter({ maxLineBytes: MAX });
          assert.deepEqual(collect(s, chunks), expected);
          assert.equal(s.droppedLongLines, dropped);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
