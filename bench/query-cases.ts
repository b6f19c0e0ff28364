// The queries of bench:query, written out exactly as they are sent to both
// servers, over the series of bench/query-data.ts.

export interface QueryCase {
  name: string;
  query: string;
}

export const QUERY_CASES: readonly QueryCase[] = [
  // 3 200 series: 32 per target.
  { name: "rate_one", query: "rate(node_cpu_seconds_total[5m])" },
  { name: "sum_rate", query: "sum by (job) (rate(node_cpu_seconds_total[5m]))" },
  {
    name: "hq",
    query: "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
  },
  // 1 000 series: 10 per target.
  { name: "topk", query: "topk(10, node_filesystem_avail_bytes)" },
  // Targets whose number ends in 0: a tenth of the targets, so a tenth of the series.
  { name: "regex", query: '{instance=~"host-[0-9]*0:9100"}' },
  { name: "count_all", query: 'count({__name__=~".+"})' },
  {
    name: "join",
    query:
      "node_filesystem_avail_bytes * on(instance) group_left(nodename, release) node_uname_info",
  },
  { name: "subquery", query: "max_over_time(rate(node_cpu_seconds_total[5m])[1h:1m])" },
];

/** Step of the range queries, in seconds. */
export const RANGE_STEP_S = 60;
