// The remote write requests that load bench:query's data: the span cut into
// windows of a few scrapes, each window into requests of whole series (a
// series' scrapes of the window together), snappy-compressed before any
// timer runs. Windows are sent one after another, so no series' samples go
// out of order and no server sees one series run far ahead of another
// (Prometheus refuses samples older than its head's newest time less an
// hour).
import { compressSync } from "snappy";
import { encodeWriteRequest, type TestSeries } from "../src/coordinator/index.js";
import type { Samples } from "./samples.js";

export interface BackfillOptions {
  /** Scrapes of each series per window. */
  windowPoints: number;
  /** Samples per request, at most (whole series of a window each). */
  maxRequestSamples: number;
}

export interface Backfill {
  /** windows[w] are the requests of window w, in any order among themselves. */
  windows: Buffer[][];
  samples: number;
  bodyBytes: number;
}

/** Encodes every request; series must have equal lengths. */
export function encodeBackfill(data: Samples, o: BackfillOptions): Backfill {
  const points = data.series.length === 0 ? 0 : data.series[0].timesMs.length;
  const seriesPerRequest = Math.max(1, Math.floor(o.maxRequestSamples / o.windowPoints));
  const windows: Buffer[][] = [];
  let samples = 0;
  let bodyBytes = 0;
  const batch: TestSeries[] = [];
  for (let from = 0; from < points; from += o.windowPoints) {
    const to = Math.min(points, from + o.windowPoints);
    const requests: Buffer[] = [];
    for (let s = 0; s < data.series.length; s += seriesPerRequest) {
      batch.length = 0;
      for (const one of data.series.slice(s, s + seriesPerRequest)) {
        if (one.timesMs.length !== points || one.values.length !== points) {
          throw new RangeError(`every series needs ${points} points; one has ${one.values.length}`);
        }
        batch.push({
          labels: one.labels,
          timesMs: one.timesMs.subarray(from, to),
          values: one.values.subarray(from, to),
        });
        samples += to - from;
      }
      // copyOutputData: see bench/ingest-load.ts (the default keeps the worst-case buffer alive).
      const body = compressSync(encodeWriteRequest(batch, { version: "1.0" }), {
        copyOutputData: true,
      });
      requests.push(body);
      bodyBytes += body.length;
    }
    windows.push(requests);
  }
  return { windows, samples, bodyBytes };
}
