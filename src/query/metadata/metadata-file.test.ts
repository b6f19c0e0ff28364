// The metadata store's file: what a save writes is what the next open reads (entries,
// their order, the order families were seen in), a save is atomic, and a damaged file is
// set aside with a log line rather than stopping the node.
import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { crc32c, MemoryLogger, silentLogger } from "../../x/index.js";
import { tempDirFor } from "../../x/testing.js";
import {
  decodeMetadataFile,
  encodeMetadataFile,
  METADATA_DAMAGED_FILE,
  METADATA_FILE,
  MetadataFileCorruptError,
  MetadataPersistence,
  MetricMetadataStore,
} from "./index.js";

function fill(store: MetricMetadataStore): void {
  store.observe("http_requests_total", "counter", "Number of HTTP requests", "");
  store.observe("http_requests_total", "counter", "Amount of HTTP requests", "");
  store.observe("node_memory_bytes", "gauge", "Memory in use", "bytes");
  store.observe("rpc_duration_seconds", "summary", 'RPC latency, with "quotes" and ✓', "seconds");
  // Seen again: it becomes the most recent family.
  store.observe("http_requests_total", "counter", "Amount of HTTP requests", "");
}

function contents(store: MetricMetadataStore) {
  return [...store.byRecency()].map(([f, entries]) => [f, entries.map((e) => ({ ...e }))]);
}

test("write, close, reopen: the store comes back whole, entries and recency in order", async () => {
  const dir = await tempDirFor("m3ts-metadata-");
  const first = await MetadataPersistence.open({ dir, logger: silentLogger, saveIntervalMs: 0 });
  assert.equal(first.store.size, 0, "no file yet: empty");
  fill(first.store);
  const expected = contents(first.store);
  await first.close();
  assert.deepEqual(await readdir(dir), [METADATA_FILE], "no temp file left behind");

  const second = await MetadataPersistence.open({ dir, logger: silentLogger, saveIntervalMs: 0 });
  assert.deepEqual(contents(second.store), expected);
  assert.deepEqual(
    second.store.get("http_requests_total").map((e) => e.help),
    ["Amount of HTTP requests", "Number of HTTP requests"],
  );
  // The least recently seen family is still the first to go after the restart.
  const bounded = await MetadataPersistence.open({
    dir,
    logger: silentLogger,
    saveIntervalMs: 0,
    maxMetrics: 2,
  });
  assert.deepEqual(bounded.store.names(), ["http_requests_total", "rpc_duration_seconds"]);
  await second.close();
});

test("save writes only when the store changed, and the file holds the header its reader checks", async () => {
  const dir = await tempDirFor("m3ts-metadata-");
  const p = await MetadataPersistence.open({ dir, logger: silentLogger, saveIntervalMs: 0 });
  await p.save();
  assert.deepEqual(await readdir(dir), [], "nothing to save yet");
  fill(p.store);
  await p.save();
  const bytes = await readFile(join(dir, METADATA_FILE));
  assert.match(
    bytes.toString("latin1", 0, bytes.indexOf(0x0a)),
    /^m3ts-metadata 1 [0-9a-f]{8} \d+$/,
  );
  assert.deepEqual(Buffer.from(encodeMetadataFile(p.store)), bytes);
  // Unchanged: the next save leaves the file alone (a marker written over it survives).
  await writeFile(join(dir, METADATA_FILE), "marker");
  await p.save();
  assert.equal(await readFile(join(dir, METADATA_FILE), "utf8"), "marker");
  p.store.observe("new_metric", "gauge", "", "");
  await p.close();
  assert.deepEqual(
    decodeMetadataFile("f", await readFile(join(dir, METADATA_FILE))).map(([f]) => f),
    ["node_memory_bytes", "rpc_duration_seconds", "http_requests_total", "new_metric"],
  );
});

test("the interval saves a changed store without a close", async () => {
  const dir = await tempDirFor("m3ts-metadata-");
  const p = await MetadataPersistence.open({ dir, logger: silentLogger, saveIntervalMs: 20 });
  p.store.observe("up", "gauge", "Target up", "");
  const deadline = Date.now() + 5000;
  let saved = false;
  while (!saved && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    saved = (await readdir(dir)).includes(METADATA_FILE);
  }
  assert.ok(saved, "saved by the interval");
  const rows = decodeMetadataFile("f", await readFile(join(dir, METADATA_FILE)));
  assert.deepEqual(rows, [["up", [["gauge", "Target up", ""]]]]);
  await p.close();
});

test("a damaged file is moved aside with a warning and the store starts empty", async () => {
  const dir = await tempDirFor("m3ts-metadata-");
  const p = await MetadataPersistence.open({ dir, logger: silentLogger, saveIntervalMs: 0 });
  fill(p.store);
  await p.close();
  const good = await readFile(join(dir, METADATA_FILE));
  // One body byte flipped: the checksum no longer matches.
  const bad = Buffer.from(good);
  bad[bad.length - 3] ^= 0x01;
  await writeFile(join(dir, METADATA_FILE), bad);
  const logger = new MemoryLogger();
  const reopened = await MetadataPersistence.open({ dir, logger, saveIntervalMs: 0 });
  assert.equal(reopened.store.size, 0);
  assert.deepEqual((await readdir(dir)).sort(), [METADATA_DAMAGED_FILE]);
  assert.equal(logger.entries.length, 1);
  assert.equal(logger.entries[0].level, "warn");
  assert.match(String((logger.entries[0].fields as { err: Error }).err.message), /checksum/);
  await reopened.close();
});

test("the reader names each kind of damage", () => {
  const store = new MetricMetadataStore();
  fill(store);
  const good = Buffer.from(encodeMetadataFile(store));
  const damaged = (bytes: Uint8Array, why: RegExp) =>
    assert.throws(
      () => decodeMetadataFile("/d/metric-metadata.json", bytes),
      (e: unknown) =>
        e instanceof MetadataFileCorruptError &&
        e.code === "M3TS_ERR_METADATA_FILE_CORRUPT" &&
        e.message.startsWith("metric metadata file /d/metric-metadata.json is damaged: ") &&
        why.test(e.message),
    );
  damaged(
    good.subarray(0, good.length - 1),
    /body is \d+ bytes, the header says \d+ \(truncated\?\)/,
  );
  damaged(Buffer.from("{}"), /does not start with a "m3ts-metadata" header line/);
  damaged(Buffer.from("m3ts-metadata 2 00000000 2\n[]"), /format version 2 is not the one/);
  damaged(Buffer.from("m3ts-kv 1 00000000 2\n[]"), /header line is not/);
  // Whole and checksummed, but not the rows a save writes.
  const withBody = (text: string) => {
    const b = Buffer.from(text);
    const crc = crc32c(b).toString(16).padStart(8, "0");
    return Buffer.concat([Buffer.from(`m3ts-metadata 1 ${crc} ${b.length}\n`), b]);
  };
  damaged(withBody("[1"), /body is not JSON/);
  damaged(withBody("{}"), /not an array of families/);
  damaged(withBody('[["m", [["gauge", "", ""]]], ["n", [["bogus", "", ""]]]]'), /family 1 is not/);
  damaged(withBody('[["m", []]]'), /family 0 is not/);
  damaged(withBody('[["m", [["gauge", "", 3]]]]'), /family 0 is not/);
  assert.deepEqual(decodeMetadataFile("f", withBody('[["m", [["gauge", "h", "u"]]]]')), [
    ["m", [["gauge", "h", "u"]]],
  ]);
});
