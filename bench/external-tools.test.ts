import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { duBytes, duTopLevel } from "./external-tools.js";

/** du's own figure for a tree, in bytes. */
function du(args: string[], dir: string): number {
  return Number(execFileSync("du", [...args, dir], { encoding: "utf8" }).split("\t")[0]);
}

describe("duBytes", () => {
  it("counts a tree as du -sb and du -sB1 do: directories, small files, hard links once", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "m3ts-du-"));
    try {
      fs.mkdirSync(path.join(dir, "a", "b"), { recursive: true });
      fs.writeFileSync(path.join(dir, "a", "small"), "x");
      fs.writeFileSync(path.join(dir, "a", "b", "larger"), Buffer.alloc(10_000, 7));
      fs.writeFileSync(path.join(dir, "empty"), "");
      fs.linkSync(path.join(dir, "a", "b", "larger"), path.join(dir, "again"));
      const got = duBytes(dir);
      assert.equal(got.apparentBytes, du(["-sb"], dir));
      assert.equal(got.allocatedBytes, du(["-sB1"], dir));
      const top = duTopLevel(dir);
      assert.deepEqual(Object.keys(top), ["a", "again", "empty"]);
      assert.equal(top.a.apparentBytes, du(["-sb"], path.join(dir, "a")));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives zero for a path that does not exist", () => {
    assert.deepEqual(duBytes(path.join(os.tmpdir(), "m3ts-du-missing-0")), {
      apparentBytes: 0,
      allocatedBytes: 0,
    });
  });
});
