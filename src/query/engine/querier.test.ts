// The querier over the client: a select's own series limits override the
// querier's defaults, and each limit decides what the client is asked.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Client, FetchedSeries, FetchLimits } from "../../client/index.js";
import { QueryLimitError } from "../../index/index.js";
import { QueryLimitExceededError } from "../errors.js";
import { clientQuerier, SERIES_LIMIT_APPLIED } from "./querier.js";

const NEVER = { check() {}, remainingMs: () => Number.POSITIVE_INFINITY };

/** A client holding `n` one-sample series that enforces maxSeries as the index does; records each fetch's limits. */
function seriesClient(n: number): Client & { asked: FetchLimits[] } {
  const asked: FetchLimits[] = [];
  const unused = () => {
    throw new Error("not used by the querier");
  };
  return {
    asked,
    async fetchTagged(_ns, _ms, _startMs, _endMs, limits): Promise<FetchedSeries[]> {
      asked.push({ ...limits });
      if (limits.maxSeries > 0 && n > limits.maxSeries) {
        throw new QueryLimitError("maxSeries", limits.maxSeries, `more than ${limits.maxSeries}`);
      }
      return Array.from({ length: n }, (_, i) => ({
        id: `s${i}`,
        tags: [
          ["__name__", "m"],
          ["i", String(i)],
        ],
        timesMs: Float64Array.of(0),
        values: Float64Array.of(i),
        count: 1,
      }));
    },
    seriesTags: unused,
    labelNames: unused,
    labelValues: unused,
    writeBatch: unused,
    namespaces: () => [],
    state: () => "bootstrapped",
    failureReason: () => null,
  };
}

test("a select's limits override the querier's defaults, one call at a time", async () => {
  const client = seriesClient(5);
  const querier = clientQuerier(client, "ns", { maxSeries: 3, requireExhaustive: true });
  await assert.rejects(querier.select([], 0, 1, NEVER, {}), (e: unknown) => {
    assert.ok(e instanceof QueryLimitExceededError);
    assert.equal(e.status, 422);
    assert.match(e.message, /limit of 3 series \(M3-Limit-Max-Series\)/);
    return true;
  });
  const roomy = await querier.select([], 0, 1, NEVER, { maxSeries: 5 });
  assert.equal(roomy.series.length, 5);
  assert.deepEqual(roomy.limited, []);
  const cut = await querier.select([], 0, 1, NEVER, { maxSeries: 2, requireExhaustive: false });
  assert.equal(cut.series.length, 2);
  assert.deepEqual(cut.limited, [SERIES_LIMIT_APPLIED]);
  assert.match(cut.warnings[0], /more than 2 series/);
  const unbounded = await querier.select([], 0, 1, NEVER, { maxSeries: 0 });
  assert.equal(unbounded.series.length, 5);
  // Exhaustive selects bound the fetch itself; a partial one fetches all and cuts.
  assert.deepEqual(
    client.asked.map((l) => l.maxSeries),
    [3, 5, 0, 0],
  );
  await assert.rejects(querier.select([], 0, 1, NEVER, { maxSeries: -1 }), RangeError);
});

test("a select's read consistency and equal-timestamp strategy reach the fetch; left out, none is set", async () => {
  const client = seriesClient(2);
  const querier = clientQuerier(client, "ns");
  await querier.select([], 0, 1, NEVER, {
    readConsistency: "unstrict_all",
    equalTimestampStrategy: "iterate_highest_frequency_value",
  });
  await querier.select([], 0, 1, NEVER, {});
  assert.equal(client.asked[0].readConsistency, "unstrict_all");
  assert.equal(client.asked[0].equalTimestampStrategy, "iterate_highest_frequency_value");
  assert.equal("readConsistency" in client.asked[1], false);
  assert.equal("equalTimestampStrategy" in client.asked[1], false);
});
