// Writes samples parsed from the text protocols (Influx line protocol, JSON,
// carbon): labels sorted and validated, one series ID per label set, one
// batch per request. These protocols carry far fewer samples than remote
// write, so series are resolved by ID here rather than from raw bytes.
import type { Client, WriteBatch } from "../../client/index.js";
import { encodeTags, M3tsError, normalizeTags, seriesIdString, type Tag } from "../../x/index.js";
import { isClientError } from "../http.js";
import type { CoordinatorMetrics, IngestProtocol } from "../metrics.js";
import { InvalidLabelsError, SeriesWriteError } from "../series-errors.js";
import type { ParsedSample } from "./parsed-sample.js";

export interface SampleWriteOutcome {
  written: number;
  rejected: number;
  /** The first refusal, naming its series; null when every sample was written. */
  firstError: M3tsError | null;
  /** The first refusal that is not the sender's fault (a retry may succeed); null when all are. */
  retryError: M3tsError | null;
}

/** Writes `samples` to `namespace`; each sample is accepted or refused on its own. */
export async function writeSamples(
  client: Client,
  namespace: string,
  protocol: IngestProtocol,
  samples: readonly ParsedSample[],
  metrics: CoordinatorMetrics,
): Promise<SampleWriteOutcome> {
  metrics.samplesReceived.inc({ protocol }, samples.length);
  const ids: string[] = [];
  const tags: Uint8Array[] = [];
  const seriesOf = new Map<string, number>();
  const n = samples.length;
  const series = new Int32Array(n);
  const timesMs = new Float64Array(n);
  const nsInMs = new Float64Array(n);
  const values = new Float64Array(n);
  const origin: number[] = [];
  let count = 0;
  let rejected = 0;
  let firstError: M3tsError | null = null;
  for (let i = 0; i < n; i++) {
    const sample = samples[i];
    let k: number;
    try {
      const sorted = normalizeTags(sample.labels.filter(([, v]) => v !== ""));
      const id = seriesIdString(sorted);
      const known = seriesOf.get(id);
      if (known === undefined) {
        k = ids.length;
        seriesOf.set(id, k);
        ids.push(id);
        tags.push(encodeTags(sorted));
      } else {
        k = known;
      }
    } catch (e) {
      if (!(e instanceof M3tsError)) throw e;
      rejected++;
      firstError ??= new InvalidLabelsError(describe(sample.labels), e.message);
      metrics.samplesRejected.inc({ protocol, reason: "M3TS_ERR_INVALID_LABELS" });
      continue;
    }
    series[count] = k;
    timesMs[count] = sample.timeMs;
    nsInMs[count] = sample.nsInMs;
    values[count] = sample.value;
    origin[count] = i;
    count++;
  }
  if (count === 0) return { written: 0, rejected, firstError, retryError: null };
  const batch: WriteBatch = {
    count,
    series,
    timesMs,
    nsInMs,
    values,
    seriesIds: ids,
    seriesTags: tags,
  };
  const result = await client.writeBatch(namespace, batch);
  let retryError: M3tsError | null = null;
  for (const { index, error } of result.errors) {
    if (firstError === null) {
      firstError = new SeriesWriteError(describe(samples[origin[index]].labels), error);
    }
    if (retryError === null && !isClientError(error)) retryError = error;
    metrics.samplesRejected.inc({ protocol, reason: error.code });
  }
  if (result.written > 0) metrics.samplesWritten.inc({ protocol }, result.written);
  return {
    written: result.written,
    rejected: rejected + result.errors.length,
    firstError,
    retryError,
  };
}

function describe(labels: readonly Tag[]): string {
  const parts = labels
    .slice(0, 20)
    .map(([k, v]) => `${k.slice(0, 100)}=${JSON.stringify(v.slice(0, 100))}`);
  if (labels.length > 20) parts.push("…");
  return `{${parts.join(", ")}}`;
}
