// and, or, unless per step (operators.test's expected values).
import assert from "node:assert/strict";
import { test } from "node:test";
import { evalBinary } from "./index.js";
import {
  _,
  binary,
  block,
  type Cell,
  context,
  has,
  only,
  requests,
  run,
  scalar,
} from "./testing.js";

test("and, unless and or match on signatures per step (operators.test)", () => {
  const canary = only(requests, has("group", "canary"));
  const instance0 = only(requests, has("instance", "0"));
  assert.deepEqual(run(binary("and", {}), canary, instance0), [
    'http_requests_total{group="canary", instance="0", job="api-server"} => 300',
    'http_requests_total{group="canary", instance="0", job="app-server"} => 700',
  ]);
  assert.deepEqual(run(binary("unless", {}), canary, instance0), [
    'http_requests_total{group="canary", instance="1", job="api-server"} => 400',
    'http_requests_total{group="canary", instance="1", job="app-server"} => 800',
  ]);
  assert.deepEqual(run(binary("unless", { on: ["job"] }), canary, instance0), []);
  assert.deepEqual(run(binary("and", { on: ["dummy"] }), canary, block([[{}, [1]]])).length, 4);
  const plusOne = evalBinary(binary("+", null), canary, scalar(1, 1), context());
  const instance1 = only(requests, has("instance", "1"));
  assert.deepEqual(run(binary("or", {}), plusOne, instance1), [
    'http_requests_total{group="canary", instance="0", job="api-server"}! => 301',
    'http_requests_total{group="canary", instance="1", job="api-server"}! => 401',
    'http_requests_total{group="canary", instance="0", job="app-server"}! => 701',
    'http_requests_total{group="canary", instance="1", job="app-server"}! => 801',
    'http_requests_total{group="production", instance="1", job="api-server"} => 200',
    'http_requests_total{group="production", instance="1", job="app-server"} => 600',
  ]);
  const rhs = block([
    ...requests.series.map((s, r): [Record<string, string>, Cell[]] => [
      Object.fromEntries(s.labels.map((l) => [l.name, l.value])),
      [requests.values[r]],
    ]),
    [{ __name__: "vector_matching_a", l: "x" }, [10]],
    [{ __name__: "vector_matching_a", l: "y" }, [20]],
  ]);
  assert.deepEqual(run(binary("or", { on: ["instance"] }), plusOne, rhs).slice(4), [
    'vector_matching_a{l="x"} => 10',
    'vector_matching_a{l="y"} => 20',
  ]);
});

test("or over a range: right rows fill the steps the left lacks, one row per label set", () => {
  const a = block([[{ __name__: "metric_a" }, [-1, _, _]]]);
  const b = block([[{ __name__: "metric_b" }, [-3, -4, _]]]);
  assert.deepEqual(run(binary("or", {}), a, b), ["metric_a{} => -1 _ _", "metric_b{} => _ -4 _"]);
  const x = block([[{ __name__: "x" }, [1, _, 3]]]);
  const y = block([[{ __name__: "x" }, [5, 6, _]]]);
  assert.deepEqual(run(binary("or", {}), x, y), ["x{} => 1 6 3"]);
});
