import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { encodeTags, seriesIdString, type Tag } from "../x/index.js";
import { type MatchType, newMatcher } from "./matcher.js";
import { encodeSegments, SealedSegment } from "./sealed-segment.js";
import { QueryLimitError } from "./search.js";
import { TimeIndex } from "./time-index.js";

const HOUR = 3_600_000;

/** Query results come in no particular order. */
function sorted(ids: readonly string[]): string[] {
  return [...ids].sort();
}
const BLOCK = 2 * HOUR;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % BLOCK);

/** Sorted, unique tags from a record (empty values mean "absent", as Prometheus treats them). */
function tagsOf(labels: Record<string, string>): Tag[] {
  return Object.entries(labels)
    .filter(([, v]) => v !== "")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function indexOf(series: Record<string, string>[], timeMs = T0): TimeIndex {
  const idx = new TimeIndex(BLOCK);
  for (const labels of series) {
    const tags = tagsOf(labels);
    idx.insert(seriesIdString(tags), tags, timeMs);
  }
  return idx;
}

const NAMES = ["__name__", "job", "code", "mode"] as const;
const VALUES = ["", "a", "ab", "abc", "b", "ba", "B", "c1", "c22", "x\ny"];
const PATTERNS = [
  "",
  "a",
  "a.*",
  ".*",
  ".+",
  "b|c1",
  "(a|b)",
  "(?i)b",
  "c[0-9]+",
  "a?b?",
  "x.y",
  "ab|",
];

/** Seals every block that holds unsealed series, as an index flush does. */
async function sealAll(idx: TimeIndex): Promise<number> {
  const starts = idx.unsealedBlocksBefore(Number.MAX_SAFE_INTEGER);
  for (const start of starts) {
    const job = idx.beginSeal(start);
    idx.finishSeal(job, SealedSegment.decode(await encodeSegments(job.segments)));
  }
  return starts.length;
}

/**
 * How much of the index is sealed when it is queried: nothing; everything;
 * a first part sealed and the rest mutable; or two parts sealed apart and
 * merged by a second seal.
 */
type Sealing = "none" | "all" | "part" | "merged";

async function indexSealed(series: Record<string, string>[], sealing: Sealing, cut: number) {
  const idx = new TimeIndex(BLOCK);
  const insert = (from: number, to: number) => {
    for (const labels of series.slice(from, to)) {
      const tags = tagsOf(labels);
      idx.insertEncoded(seriesIdString(tags), encodeTags(tags), T0);
    }
  };
  const at = Math.min(cut, series.length);
  insert(0, at);
  if (sealing !== "none") await sealAll(idx);
  insert(at, series.length);
  if (sealing === "all" || sealing === "merged") await sealAll(idx);
  return idx;
}

test("every matcher type and combination agrees with a scan of every series, sealed or not", async () => {
  const labels = fc.record({
    __name__: fc.constantFrom(...VALUES),
    job: fc.constantFrom(...VALUES),
    code: fc.constantFrom(...VALUES),
    mode: fc.constantFrom(...VALUES),
  });
  const matcher = fc.record({
    type: fc.constantFrom<MatchType>("=", "!=", "=~", "!~"),
    name: fc.constantFrom(...NAMES, "missing"),
    value: fc.oneof(fc.constantFrom(...VALUES), fc.constantFrom(...PATTERNS)),
  });
  await fc.assert(
    fc.asyncProperty(
      fc.array(labels, { minLength: 1, maxLength: 60 }),
      fc.array(matcher, { minLength: 1, maxLength: 3 }),
      fc.constantFrom<Sealing>("none", "all", "part", "merged"),
      fc.nat(60),
      async (series, specs, sealing, cut) => {
        const idx = await indexSealed(series, sealing, cut);
        const matchers = specs.map((s) => newMatcher(s.type, s.name, s.value));
        const want = new Set<string>();
        for (const l of series) {
          const tags = tagsOf(l);
          const value = (name: string) => tags.find(([n]) => n === name)?.[1] ?? "";
          if (matchers.every((m) => m.matches(value(m.name)))) want.add(seriesIdString(tags));
        }
        const got = idx.query(matchers, T0, T0 + BLOCK);
        assert.deepEqual(sorted(got.ids), [...want].sort());
        for (let i = 0; i < got.ids.length; i++) {
          assert.equal(seriesIdString(got.tags[i]), got.ids[i]);
        }
      },
    ),
    { numRuns: 400 },
  );
});

test('label="" selects series without the label; label!="" those with it', () => {
  const idx = indexOf([{ job: "api" }, { job: "db", code: "500" }, { code: "200" }]);
  const q = (type: MatchType, name: string, value: string) =>
    sorted(idx.query([newMatcher(type, name, value)], T0, T0 + 1).ids);
  assert.deepEqual(q("=", "code", ""), ['{job="api"}']);
  assert.deepEqual(q("!=", "code", ""), ['{code="200"}', '{code="500",job="db"}']);
  assert.deepEqual(q("=~", "code", ".*").length, 3);
  assert.deepEqual(q("=~", "code", ".+").length, 2);
  assert.deepEqual(q("=~", "code", "5.."), ['{code="500",job="db"}']);
  assert.deepEqual(q("!~", "code", "5.."), ['{code="200"}', '{job="api"}']);
});

test("a series is found only in the index blocks it was written in", () => {
  const idx = new TimeIndex(BLOCK);
  const a: Tag[] = [["__name__", "a"]];
  const b: Tag[] = [["__name__", "b"]];
  idx.insert(seriesIdString(a), a, T0 + 10);
  idx.insert(seriesIdString(b), b, T0 + BLOCK + 10);
  idx.insert(seriesIdString(a), a, T0 + 2 * BLOCK);
  const all = [newMatcher("=~", "__name__", ".+")];
  assert.deepEqual(sorted(idx.query(all, T0, T0 + BLOCK).ids), ['{__name__="a"}']);
  assert.deepEqual(sorted(idx.query(all, T0 + BLOCK, T0 + 2 * BLOCK).ids), ['{__name__="b"}']);
  assert.deepEqual(sorted(idx.query(all, T0, T0 + 3 * BLOCK).ids), [
    '{__name__="a"}',
    '{__name__="b"}',
  ]);
  assert.deepEqual(sorted(idx.query(all, T0 + 3 * BLOCK, T0 + 4 * BLOCK).ids), []);
  assert.equal(idx.dropBlocksBefore(T0 + BLOCK), 1);
  assert.deepEqual(sorted(idx.query(all, T0, T0 + BLOCK).ids), []);
  assert.deepEqual(idx.blockStarts(), [T0 + BLOCK, T0 + 2 * BLOCK]);
});

test("a query past maxSeries or maxDocsScanned fails with the limit named, never truncates", () => {
  const series = Array.from({ length: 50 }, (_, i) => ({ job: "api", instance: `h${i}` }));
  const idx = indexOf(series);
  const m = [newMatcher("=", "job", "api")];
  assert.equal(sorted(idx.query(m, T0, T0 + 1, { maxSeries: 50 }).ids).length, 50);
  assert.throws(
    () => idx.query(m, T0, T0 + 1, { maxSeries: 49 }),
    (e: unknown) =>
      e instanceof QueryLimitError &&
      e.limit === "maxSeries" &&
      e.value === 49 &&
      /maxSeries = 49/.test(e.message),
  );
  assert.throws(
    () => idx.query([newMatcher("=~", "instance", "h.*")], T0, T0 + 1, { maxDocsScanned: 10 }),
    (e: unknown) => e instanceof QueryLimitError && e.limit === "maxDocsScanned" && e.value === 10,
  );
});

test("label names and values, with and without matchers", () => {
  const idx = indexOf([
    { __name__: "up", job: "api", instance: "h1" },
    { __name__: "up", job: "db", instance: "h2" },
    { __name__: "cpu", job: "db", mode: "idle" },
  ]);
  assert.deepEqual(idx.labelNames([], T0, T0 + 1), ["__name__", "instance", "job", "mode"]);
  assert.deepEqual(idx.labelNames([newMatcher("=", "__name__", "up")], T0, T0 + 1), [
    "__name__",
    "instance",
    "job",
  ]);
  assert.deepEqual(idx.labelValues("job", [], T0, T0 + 1), ["api", "db"]);
  assert.deepEqual(idx.labelValues("instance", [newMatcher("=", "job", "db")], T0, T0 + 1), ["h2"]);
  assert.deepEqual(idx.labelValues("missing", [], T0, T0 + 1), []);
});

test("a series inserted with its encoded tags is found and keeps those tags; a repeat is a no-op", () => {
  const idx = new TimeIndex(BLOCK);
  const tags: Tag[] = [
    ["__name__", "up"],
    ["job", "api"],
  ];
  const id = seriesIdString(tags);
  idx.insertEncoded(id, encodeTags(tags), T0);
  idx.insertEncoded(id, encodeTags(tags), T0 + 1);
  const r = idx.query([newMatcher("=", "job", "api")], T0, T0 + 1);
  assert.deepEqual(r.ids, [id]);
  assert.deepEqual(r.tags, [tags]);
  assert.equal(idx.has(id, T0), true);
  assert.equal(idx.has(id, T0 + BLOCK), false);
});

test("sealing keeps every series, label name and value; later series go to a new segment and the next seal merges them", async () => {
  const idx = new TimeIndex(BLOCK);
  const put = (labels: Record<string, string>, t = T0) => {
    const tags = tagsOf(labels);
    idx.insertEncoded(seriesIdString(tags), encodeTags(tags), t);
  };
  put({ __name__: "up", job: "api", instance: "a" });
  put({ __name__: "up", job: "db", instance: "b" });
  put({ __name__: "up", job: "api", instance: "c" }, T0 + BLOCK);
  assert.deepEqual(idx.unsealedBlocksBefore(T0 + BLOCK), [T0]);
  assert.deepEqual(idx.unsealedBlocksBefore(T0 + 2 * BLOCK), [T0, T0 + BLOCK]);

  const job = idx.beginSeal(T0);
  // While the job encodes, its frozen segment answers and new series go elsewhere.
  put({ __name__: "up", job: "web", instance: "d" });
  const up = [newMatcher("=", "__name__", "up")];
  assert.equal(idx.query(up, T0, T0 + BLOCK).ids.length, 3);
  idx.finishSeal(job, SealedSegment.decode(await encodeSegments(job.segments)));
  assert.equal(idx.query(up, T0, T0 + BLOCK).ids.length, 3);
  // The series written during the seal is still unsealed.
  assert.deepEqual(idx.unsealedBlocksBefore(T0 + BLOCK), [T0]);
  // A series already sealed is not indexed twice.
  put({ __name__: "up", job: "api", instance: "a" });
  assert.equal(idx.query(up, T0, T0 + BLOCK).ids.length, 3);
  assert.equal(idx.has('{__name__="up",instance="a",job="api"}', T0), true);
  assert.equal(idx.has('{__name__="up",instance="d",job="web"}', T0), true);
  assert.equal(idx.has('{__name__="up",instance="zz",job="web"}', T0), false);

  assert.equal(await sealAll(idx), 2);
  assert.deepEqual(idx.unsealedBlocksBefore(Number.MAX_SAFE_INTEGER), []);
  assert.equal(await sealAll(idx), 0);
  assert.deepEqual(sorted(idx.query(up, T0, T0 + BLOCK).ids), [
    '{__name__="up",instance="a",job="api"}',
    '{__name__="up",instance="b",job="db"}',
    '{__name__="up",instance="d",job="web"}',
  ]);
  const q = idx.query([newMatcher("=~", "job", "api|web")], T0, T0 + 2 * BLOCK);
  assert.deepEqual(
    q.ids.map((id, i) => [id, seriesIdString(q.tags[i])]).filter(([a, b]) => a !== b),
    [],
  );
  assert.deepEqual(idx.labelNames([], T0, T0 + BLOCK), ["__name__", "instance", "job"]);
  assert.deepEqual(idx.labelValues("job", [], T0, T0 + 2 * BLOCK), ["api", "db", "web"]);
  assert.deepEqual(idx.labelValues("instance", [newMatcher("!=", "job", "api")], T0, T0 + BLOCK), [
    "b",
    "d",
  ]);
});

test("a block dropped while it is being sealed stays dropped", async () => {
  const idx = indexOf([{ job: "api" }]);
  const job = idx.beginSeal(T0);
  const bytes = await encodeSegments(job.segments);
  idx.dropBlocksBefore(T0 + BLOCK);
  idx.finishSeal(job, SealedSegment.decode(bytes));
  assert.deepEqual(idx.blockStarts(), []);
  assert.throws(() => idx.load(T0 + 1, SealedSegment.decode(bytes)), /not a multiple/);
  idx.load(T0, SealedSegment.decode(bytes));
  assert.deepEqual(idx.query([newMatcher("=", "job", "api")], T0, T0 + 1).ids, ['{job="api"}']);
});

test("a fresh series skips the lookup only in blocks not filled by a restore", () => {
  const idx = new TimeIndex(BLOCK);
  const tags: Tag[] = [["job", "api"]];
  const id = seriesIdString(tags);
  idx.restoring = true;
  idx.insertEncoded(id, encodeTags(tags), T0);
  idx.restoring = false;
  // The caller believes the series is fresh; the restored block still checks.
  idx.insertEncoded(id, encodeTags(tags), T0, true);
  assert.deepEqual(idx.query([newMatcher("=", "job", "api")], T0, T0 + 1).ids, [id]);
  // A block no restore touched takes it as new.
  idx.insertEncoded(id, encodeTags(tags), T0 + BLOCK, true);
  assert.deepEqual(idx.query([newMatcher("=", "job", "api")], T0 + BLOCK, T0 + BLOCK + 1).ids, [
    id,
  ]);
  assert.equal(idx.has(id, T0 + BLOCK), true);
});
