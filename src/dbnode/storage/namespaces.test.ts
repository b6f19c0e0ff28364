// Namespace management through the database: create, list, update, drop.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { M3tsError } from "../../x/index.js";
import { NamespaceExistsError, UnknownNamespaceError } from "./index.js";
import { HOUR, MIN, openDb } from "./testing.js";

test("namespaces are created with M3's defaults, listed, updated and dropped", async () => {
  const { db } = await openDb();
  const opts = await db.createNamespace("metrics", { retentionPeriodMs: 24 * HOUR });
  assert.equal(opts.retentionPeriodMs, 24 * HOUR);
  assert.equal(opts.blockSizeMs, 2 * HOUR);
  assert.equal(opts.bufferPastMs, 10 * MIN);
  assert.equal(opts.bufferFutureMs, 2 * MIN);
  assert.equal(opts.coldWritesEnabled, false);
  assert.equal(opts.writesToCommitLog, true);
  await db.createNamespace("agg");
  assert.deepEqual(
    db.listNamespaces().map((n) => n.name),
    ["agg", "metrics"],
  );
  await assert.rejects(db.createNamespace("metrics"), NamespaceExistsError);
  const updated = await db.updateNamespace("metrics", { retentionPeriodMs: 48 * HOUR });
  assert.equal(updated.retentionPeriodMs, 48 * HOUR);
  // As in M3, options that shape the data cannot change on a live namespace.
  await assert.rejects(
    db.updateNamespace("metrics", { coldWritesEnabled: true }),
    (e: M3tsError) =>
      e.code === "M3TS_ERR_NAMESPACE_OPTION_IMMUTABLE" && /coldWritesEnabled/.test(e.message),
  );
  await assert.rejects(db.updateNamespace("nope", {}), UnknownNamespaceError);
  await db.dropNamespace("agg");
  assert.deepEqual(
    db.listNamespaces().map((n) => n.name),
    ["metrics"],
  );
  await assert.rejects(db.dropNamespace("agg"), UnknownNamespaceError);
});

test("invalid namespace options are refused with the option named", async () => {
  const { db } = await openDb();
  await assert.rejects(
    db.createNamespace("bad", { bufferPastMs: 3 * HOUR }),
    (e: M3tsError) => /bufferPastMs/.test(e.message) && e.code === "M3TS_ERR_NAMESPACE_OPTION",
  );
  assert.deepEqual(db.listNamespaces(), []);
});
