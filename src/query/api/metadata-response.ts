// GET /api/v1/metadata, as Prometheus's web/api/v1 answers it, from the metric metadata
// remote write carried: per metric family the distinct {type, help, unit} entries, most
// recent first. Framework-neutral: parameters in, status and JSON body out.
//
// Parameters (Prometheus's semantics):
//   limit             at most this many families; negative: no limit; 0: none
//   limit_per_metric  at most this many entries per family; 0 or negative: no limit
//   metric            only this family (an unknown one answers an empty object)
// A limit that is not a decimal integer within int64 is 400 bad_data, worded as Prometheus.
// Families are listed in name order, so that a `limit` always picks the same ones.
import type { MetricMetadataStore } from "../metadata/index.js";

/** A status and the JSON body to send with it. */
export interface MetadataResponse {
  status: number;
  body: unknown;
}

/** One entry as the endpoint shows it, fields in the order Prometheus's documentation lists them. */
interface EntryJson {
  type: string;
  help: string;
  unit: string;
}

/** The answer to /api/v1/metadata with these parameters (query string and form merged by the caller). */
export function metadataResponse(
  store: MetricMetadataStore,
  params: URLSearchParams,
): MetadataResponse {
  const limit = intParam(params, "limit");
  if (limit === null) return badData("limit must be a number");
  const perMetric = intParam(params, "limit_per_metric");
  if (perMetric === null) return badData("limit_per_metric must be a number");
  const metric = params.get("metric") ?? "";

  const data: Record<string, EntryJson[]> = Object.create(null);
  const names = metric === "" ? store.names() : [metric];
  let count = 0;
  for (const name of names) {
    if (limit >= 0 && count >= limit) break;
    const entries = store.get(name);
    if (entries.length === 0) continue;
    const n = perMetric > 0 ? Math.min(perMetric, entries.length) : entries.length;
    const list: EntryJson[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const e = entries[i];
      list[i] = { type: e.type, help: e.help, unit: e.unit };
    }
    data[name] = list;
    count++;
  }
  return { status: 200, body: { status: "success", data } };
}

const INT = /^[+-]?[0-9]+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The parameter as Go's strconv.Atoi reads it on a 64-bit machine: -1 when absent or empty
 * (Prometheus's default), null when it is not a decimal integer within int64.
 */
function intParam(params: URLSearchParams, name: string): number | null {
  const s = params.get(name);
  if (s === null || s === "") return -1;
  if (!INT.test(s)) return null;
  const v = BigInt(s);
  if (v < INT64_MIN || v > INT64_MAX) return null;
  return Number(v);
}

function badData(error: string): MetadataResponse {
  return { status: 400, body: { status: "error", errorType: "bad_data", error } };
}
