import assert from "node:assert/strict";
import { test } from "node:test";
import type { BootstrapFindings, Bootstrapper } from "./bootstrapper.js";
import { DEFAULT_BOOTSTRAPPERS, runBootstrap } from "./process.js";
import { contextOf, FakeTarget, namespaceOf, T0 } from "./testing.js";

test("the default order is M3's: filesets, then the snapshot, then the commit log", () => {
  assert.deepEqual(
    DEFAULT_BOOTSTRAPPERS.map((b) => b.name),
    ["fileset", "snapshot", "commitlog"],
  );
});

test("sources run one after the other, each seeing what the ones before it found", async () => {
  const ns = namespaceOf("m", { index: { enabled: true } });
  const plain = namespaceOf("plain");
  const target = new FakeTarget(T0, [ns, plain]);
  const seen: string[] = [];
  const source = (name: string, step: (found: BootstrapFindings) => void): Bootstrapper => ({
    name,
    async bootstrap(_ctx, found) {
      seen.push(`${name} start`);
      // Indexed series restored now come from disk: their blocks are marked so.
      assert.equal(ns.index?.restoring, true);
      await new Promise((resolve) => setImmediate(resolve));
      step(found);
      seen.push(`${name} end`);
    },
  });
  const found = await runBootstrap(contextOf("/unused", target), [
    source("first", (found) => {
      assert.equal(found.commitLogFromIndex, 0);
      found.commitLogFromIndex = 7;
    }),
    source("second", (found) => {
      assert.equal(found.commitLogFromIndex, 7);
      found.nextSnapshotIndex = 3;
    }),
  ]);
  assert.deepEqual(seen, ["first start", "first end", "second start", "second end"]);
  assert.equal(found.commitLogFromIndex, 7);
  assert.equal(found.nextSnapshotIndex, 3);
  assert.equal(ns.index?.restoring, false);
  assert.equal(plain.index, null);
});

test("a source that fails ends the bootstrap with its error; the sources after it do not run", async () => {
  const target = new FakeTarget(T0, [namespaceOf("m")]);
  let ranAfter = false;
  await assert.rejects(
    runBootstrap(contextOf("/unused", target), [
      {
        name: "failing",
        bootstrap: () => Promise.reject(new Error("disk gone")),
      },
      {
        name: "after",
        async bootstrap() {
          ranAfter = true;
        },
      },
    ]),
    /disk gone/,
  );
  assert.equal(ranAfter, false);
});
