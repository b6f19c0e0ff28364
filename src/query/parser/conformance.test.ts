import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { parsePromQL } from "./index.js";

// Queries from Prometheus's PromQL test scripts (and a few more of our own)
// that must parse: every node kind, modifier and experimental syntax they use.
const REPRESENTATIVE: string[] = [
  'round(-1 * (5.2 + 0.0005 * http_requests{group="production",job="api-server"}), 0.1)',
  'round(2.1 + 0.0005 * http_requests{group="production",job="api-server"}, 0.1)',
  'round(5.2 + 0.0005 * http_requests{group="production",job="api-server"}, 0.1)',
  'floor(0.004 * http_requests{group="production",job="api-server"})',
  'round(-1 * (1 + 0.005 * http_requests{group="production",job="api-server"}))',
  'round(1 + 0.005 * http_requests{group="production",job="api-server"})',
  'quantile_over_time(scalar(up) + 1, {__name__="up"}[1h:1m] @ 1111111)',
  'sum_over_time(metric{job="1"}[100] @ 100) + label_replace(sum_over_time(metric{job="2"}[100] @ 100), "job", "1", "", "")',
  'sum_over_time(metric{job="1"}[100s] @ 100) + label_replace(sum_over_time(metric{job="2"}[100s] @ 100), "job", "1", "", "")',
  "sum_over_time(metric1_total[29s+1s:20*500ms] offset (20*(((((8 - 2) / 3) * 7s) % 4) + 8000ms)))",
  "sum_over_time(metric1_total[29s+1s:20*500ms] offset -(20*(((((8 - 2) / 3) * 7s) % 4) + 8000ms)))",
  "histogram_count(increase(smoothed_two_sample_both_interp[10s] smoothed))",
  "histogram_count(increase(anchored_two_sample_reset[30s] anchored))",
  "histogram_count(increase(smoothed_double_reset[14s] smoothed))",
  "histogram_count(rate(right_boundary_reset[10s] smoothed))",
  "predict_linear(foo[3m] smoothed, 4)",
  "histogram_count(delta(mid_gauge_hist[90s] anchored))",
  "matched_lhs + on(key) group_left fill_left(0) matched_rhs",
  "left_vector + on(job, instance) fill(0) right_vector",
  'absent_over_time(http_requests_total{handler="/foo", handler="/bar", instance="127.0.0.1"}[5m])',
  'present_over_time(http_requests_total{handler="/foo", handler="/bar", instance="127.0.0.1"}[5m])',
  'deriv(http_requests_total{group="canary", instance="1", job="app-server"}[50m])',
  'deriv(http_requests_mix{group="canary", instance="1", job="app-server"}[110m])',
  'rate(http_requests_total{group="canary", instance="1", job="app-server"}[50m])',
  'quantile_over_time(0.5, data_histogram{test="mix samples"}[2m])',
  'quantile_over_time(0.5, data_histogram{test="only histogram samples"}[2m])',
  'absent_over_time(http_requests_total{handler="/foo", handler="/bar", handler="/foobar"}[5m])',
  'avg (request_duration_seconds_bucket{le="+Inf"}) - avg (request_duration_seconds_bucket{le="0.2"})',
  'rate(testhistogram3_bucket{le=".2"}[10m]) / ignoring(le) rate(testhistogram3_count[10m])',
  "histogram_quantile(0.3, avg(rate(request_duration_seconds_bucket[10m])) by (le))",
  "histogram_quantile(0.3, sum(rate(request_duration_seconds_bucket[10m])) by (le, job))",
  "histogram_quantile(0.3, sum(rate(request_duration_seconds_bucket[10m])) by (le, job, instance))",
  "histogram_quantile(0.5, avg(rate(request_duration_seconds_bucket[10m])) by (le))",
  "histogram_quantile(0.5, sum(rate(request_duration_seconds_bucket[10m])) by (le, job))",
  'info(metric_with_overlapping_label, {data=~".+"})',
  'info(metric, {__name__=~".+_info", __name__!~".*build.*"})',
  'count(limitk(1000, http_requests{instance=~"histogram_[0-9]"}))',
  'count(limitk(2, http_requests{instance=~"histogram_[0-9]"}))',
  "12.34e+6",
  "12.34e-6",
  'label_replace(sum by (__name__) (rate(metric_total{env="2"}[5m])), "__name__", "$1", "__name__", "(.+)")',
  'topk(10, sum by (__name__, env) (rate(metric_total{env="1"}[10m])))',
  'histogram_fraction(-1.6817928305074292, 0, var_res_histogram{schema="+1"})',
  'histogram_fraction(0, 1.6817928305074292, var_res_histogram{schema="+1"})',
  'histogram_fraction(-1.4142135623730951, 0, var_res_histogram{schema="0"})',
  'histogram_fraction(-2.82842712474619, 0, var_res_histogram{schema="0"})',
  'histogram_fraction(0, 1.4142135623730951, var_res_histogram{schema="0"})',
  'histogram_fraction(-1.189207, 0, var_res_histogram{schema="+1"})',
  'histogram_fraction(0, 2.82842712474619, var_res_histogram{schema="0"})',
  'last_over_time({__name__="http_request_duration_seconds"} @ start()[1h:1m] offset 1m16s)',
  'http_requests_total{job="api-server", group="canary"} + rate(http_requests_total{job="api-server"}[10m]) * 5 * 60',
  '(http_requests_total{group="canary"} + 1) and ignoring(group, job) http_requests_total{instance="0", group="production"}',
  '(http_requests_total{group="canary"} + 1) and on(instance, job) http_requests_total{instance="0", group="production"}',
  '(http_requests_total{group="canary"} + 1) or ignoring(l, group, job) (http_requests_total or cpu_count or vector_matching_a)',
  '-1 * http_requests_total{group="canary", instance="0", job="api-server"} / 0',
  "http_requests_total AND IGNORING (group, instance, job) vector(1)",
  '0 * http_requests_total{group="canary", instance="0", job="api-server"} % 0',
  '0 * http_requests_total{group="canary", instance="0", job="api-server"} / 0',
  "sum_over_time(bar[30s])",
  "some_metric_with_stale_marker[3m]",
  'rate(http_requests_total{group=~"(?i:PRODUCTION)"}[1m])',
  'http_requests_total{foo!~"bar", job="api-server", instance="1", x!="y", z="", group!=""}',
  "count_over_time(metric[10s])",
  "count_over_time(metric[20s])",
  'rate(counter_total{type!="overlap"}[3m])',
  'rate(counter_total{type="overlap"}[3m])',
  'rate(http_requests_total{group=~"pro.*"}[1m:10s])',
  "sum_over_time(metric1_total[30s:10s] offset 5s)",
  "acos(trig - 10.1)",
  "asin(trig - 10.1)",
  'SUM(http_requests_total{__type__="counter", __unit__="request"}) BY (job)',
  '0 * http_requests_total{group="canary", instance="0", job="api-server"} % 0',
  "sum by (job) (rate(http_requests_total[5m]))",
  "histogram_quantile(0.99, sum by (le) (rate(request_duration_seconds_bucket[5m])))",
  'absent_over_time(nonexistent{job="x"}[1h])',
  "predict_linear(node_filesystem_free_bytes[1h], 4 * 3600) < 0",
  'label_replace(up, "host", "$1", "instance", "(.*):.*")',
  "max_over_time(deriv(rate(foo[1m])[5m:1m])[10m:])",
  'count_values("version", build_info)',
  "quantile_over_time(0.5, foo[10m] offset 1h)",
  "timestamp(foo @ 100)",
  "clamp(foo, -1, 1) unless on(instance) bar",
  "day_of_week(vector(time()))",
  "sort_desc(topk by (job) (5, foo))",
  "scalar(sum(foo)) * 2 ^ -1",
  "irate(foo[5m] @ end())",
  "resets(foo[1h]) > bool 0",
  "changes(foo[10m]) or vector(0)",
  "stddev_over_time(foo[1h]) / ignoring(job) group_left stddev(foo)",
  "deriv(foo[10m:30s])",
  "increase(foo_total[1h])",
  "round(foo, 0.5)",
  'foo{job=~"a|b", instance!~"x.*"}',
  "avg without (instance) (foo)",
  "group by (job) (foo)",
  "limitk(1, foo)",
  "limit_ratio(0.1, foo)",
  "double_exponential_smoothing(foo[10m], 0.3, 0.3)",
  "mad_over_time(foo[5m])",
  "ts_of_last_over_time(foo[5m])",
  'sort_by_label(foo, "job")',
  'info(foo, {k="v"})',
  "foo[1m] anchored",
  "foo[1m] smoothed",
  "foo + on(a) fill(0) bar",
  "foo[5m + step()]",
  "foo offset -min_of(1m, range())",
  '{"some.metric", "label.name"="v"}',
  'sum by ("label.name") ({"some.metric"})',
];

test("representative queries from Prometheus's test scripts parse", () => {
  const failures: string[] = [];
  for (const q of REPRESENTATIVE) {
    try {
      parsePromQL(q);
    } catch (e) {
      failures.push(`${q}: ${(e as Error).message}`);
    }
  }
  assert.deepEqual(failures, []);
});

// The whole index of eval statements, kept in the repository for the conformance runner.
const INDEX = fileURLToPath(
  new URL("../../../../test/conformance/testdata/evals-index.tsv", import.meta.url),
);

// The trim operators </ and >/ act on native histograms only; our samples are floats.
const UNSUPPORTED = /<\/|>\//;

test("every eval expression of Prometheus's test scripts that should parse does", () => {
  const rows = readFileSync(INDEX, "utf8")
    .split("\n")
    .slice(1)
    .filter((l) => l !== "");
  const header = readFileSync(INDEX, "utf8").split("\n")[0]?.split("\t") ?? [];
  const exprCol = header.indexOf("expr");
  const expectsCol = header.indexOf("expects");
  assert.ok(exprCol >= 0 && expectsCol >= 0, "the index has expr and expects columns");
  const failures: string[] = [];
  let checked = 0;
  for (const row of rows) {
    const cols = row.split("\t");
    const expr = cols[exprCol] ?? "";
    if (cols[expectsCol] === "fail" || UNSUPPORTED.test(expr)) continue;
    checked++;
    try {
      parsePromQL(expr);
    } catch (e) {
      failures.push(`${cols[0]}:${cols[1]} ${expr}: ${(e as Error).message}`);
    }
  }
  assert.ok(checked > 1500, `only ${checked} expressions checked`);
  assert.deepEqual(failures, []);
});

test("the native-histogram trim operators are refused with a message that says why", () => {
  assert.throws(() => parsePromQL("foo </ 0.5"), {
    message:
      'parse error at char 5: operator "</" trims native histograms, which are not supported: samples are floats',
  });
});

test("a chain of thousands of operators parses left-associated with Prometheus's precedences", () => {
  const n = 3001;
  const terms = Array.from({ length: n }, (_, i) => `m${i}{a="b"}`);
  // "or" binds loosest and "*" tightest: m0 or (m1 * m2) or (m3 * m4) ...
  const query = terms.map((t, i) => (i === 0 ? t : `${i % 2 === 1 ? " or " : " * "}${t}`)).join("");
  const tree = parsePromQL(query);
  let depth = 0;
  let node = tree;
  while (node.kind === "binary" && node.op === "or") {
    depth++;
    assert.equal(node.rhs.kind, "binary");
    if (node.rhs.kind === "binary") assert.equal(node.rhs.op, "*");
    node = node.lhs;
  }
  assert.equal(depth, (n - 1) / 2);
  assert.equal(node.kind, "vectorSelector");
  assert.equal(tree.pos.start, 0);
  assert.equal(tree.pos.end, query.length);
});

test("an error deep in a long chain is reported at its place in the whole query", () => {
  const terms = Array.from({ length: 400 }, (_, i) => `m${i}`);
  terms[300] = "rate(m300)";
  const query = terms.join(" + ");
  const at = query.indexOf("rate(m300)") + 5;
  assert.throws(() => parsePromQL(query), {
    message: `parse error at char ${at + 1}: expected type range vector in call to function "rate", got instant vector`,
  });
});

test("brackets nested past what the parser reads are refused with the limit named", () => {
  const query = `${"(".repeat(5000)}1${")".repeat(5000)}`;
  assert.throws(
    () => parsePromQL(query),
    /expression nested too deeply: \d+ levels of brackets, the most this parser reads is 1000/,
  );
});

test("a metric may be named offset, as in Prometheus", () => {
  const tree = parsePromQL('offset{step="1s"}[5m] offset 1m');
  assert.equal(tree.kind, "matrixSelector");
  if (tree.kind === "matrixSelector") {
    assert.equal(tree.vector.name, "offset");
    assert.equal(tree.vector.offset, 60000);
  }
});
