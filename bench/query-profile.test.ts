import assert from "node:assert/strict";
import { test } from "node:test";
import { type CpuProfile, partOf, summarizeProfile } from "./query-profile.js";

test("frames are charged to the folder under src/, a dependency, Node or V8", () => {
  const root = "file:///work/m3ts/dist/src";
  assert.equal(partOf(`${root}/query/engine/evaluate.js`, "f"), "query/engine");
  assert.equal(partOf(`${root}/query/labels.js`, "f"), "query");
  assert.equal(partOf(`${root}/dbnode/storage/read.js`, "f"), "dbnode/storage");
  assert.equal(partOf(`${root}/codec/m3tsz-iterator.js`, "f"), "codec");
  assert.equal(partOf(`${root}/index/postings.js`, "f"), "index");
  assert.equal(partOf("file:///w/node_modules/@lezer/lr/dist/index.js", "f"), "dep @lezer/lr");
  assert.equal(partOf("file:///w/node_modules/re2/re2.js", "f"), "dep re2");
  assert.equal(partOf("node:internal/streams/writable", "f"), "node streams");
  assert.equal(partOf("node:_http_server", "f"), "node _http_server");
  assert.equal(partOf("", "(garbage collector)"), "(garbage collector)");
  assert.equal(partOf("", "stringify"), "(native) stringify");
});

test("self time is summed per part and function, inside the windows only", () => {
  const frame = (id: number, url: string, functionName: string) => ({
    id,
    callFrame: { functionName, url, lineNumber: id },
  });
  const profile: CpuProfile = {
    nodes: [
      frame(1, "", "(root)"),
      frame(2, "file:///x/src/query/engine/run.js", "run"),
      frame(3, "file:///x/src/codec/iter.js", "next"),
    ],
    startTime: 1_000,
    // Samples at 1 100, 1 200, 1 500, 1 600, 2 600 µs; each lasts until the next
    // (run 100 + 100 µs, next 300 + 1 000 µs, the last one nothing).
    samples: [2, 3, 2, 3, 1],
    timeDeltas: [100, 100, 300, 100, 1_000],
  };
  const all = summarizeProfile(profile, []);
  assert.equal(all.totalMs, 1.5);
  assert.deepEqual(all.parts, [
    ["codec", 1.3],
    ["query/engine", 0.2],
    ["(root)", 0],
  ]);
  assert.deepEqual(all.functions[0], ["next iter.js:4", 1.3]);
  // Only the samples at 1 200 and 1 500 µs fall in [1 150, 1 550).
  const part = summarizeProfile(profile, [{ name: "q", fromUs: 1_150, toUs: 1_550 }]);
  assert.deepEqual(part.parts, [
    ["codec", 0.3],
    ["query/engine", 0.1],
  ]);
});
