// Garbage and mutated bodies on the text ingest and remote read endpoints:
// always a 4xx, never a 5xx, and what was accepted before stays readable.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { compressSync } from "snappy";
import { encodeReadRequest } from "../support/remote-read-client.js";
import { nowSeriesTimes, post, readRecent, remoteWrite, startTestNode } from "./support.js";

describe("fuzzed bodies on every endpoint", () => {
  test("garbage and truncated bodies get a 4xx, never a 5xx, and accepted data stays", async () => {
    const n = await startTestNode();
    try {
      const times = nowSeriesTimes(3);
      assert.equal(
        (
          await remoteWrite(n.base, [
            { labels: [["__name__", "keep"]], timesMs: times, values: [1, 2, 3] },
          ])
        ).status,
        204,
      );
      const s = Math.floor(Date.now() / 1000) - 1;
      const validInflux = Buffer.from(`fz,host=a v=1 ${s}\nfz,host=b v=2 ${s}\n`);
      const validJson = Buffer.from(
        JSON.stringify({ tags: { __name__: "fzj" }, timestamp: String(s), value: 1 }),
      );
      const validRead = compressSync(
        encodeReadRequest([
          {
            startMs: 0,
            endMs: Date.now(),
            matchers: [{ type: "=", name: "__name__", value: "keep" }],
          },
        ]),
      );
      const h = { "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy" };
      const mutate = (valid: Buffer) =>
        fc.oneof(
          fc.nat({ max: valid.length }).map((cut) => valid.subarray(0, cut)),
          fc
            .tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 255 }))
            .map(([at, x]) => {
              const copy = Buffer.from(valid);
              copy[at] ^= x;
              return copy;
            }),
          fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)),
        );
      const endpoints: [string, Buffer, Record<string, string>][] = [
        ["/api/v1/influxdb/write?precision=s", validInflux, {}],
        ["/api/v1/json/write", validJson, {}],
        ["/api/v1/read", validRead, h],
      ];
      for (const [path, valid, headers] of endpoints) {
        await fc.assert(
          fc.asyncProperty(mutate(valid), async (body) => {
            const res = await post(`${n.base}${path}`, body, headers);
            assert.ok(res.status < 500, `${path}: ${res.status} ${res.text}`);
          }),
          { numRuns: 60 },
        );
      }
      const got = await readRecent(n.base, [{ type: "=", name: "__name__", value: "keep" }]);
      assert.deepEqual(got[0].values, [1, 2, 3]);
    } finally {
      await n.stop();
    }
  });
});
