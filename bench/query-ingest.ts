// Ingest latency of bench:query: remote write requests sent to m3ts at a
// steady rate (open loop: each leaves at its slot whether or not the ones
// before were answered, as scrapes arrive whatever the server is doing),
// each one sample for the next slice of the loaded series at the current
// time, and the time until each is acknowledged. Run once idle and once
// while a loop of queries runs, it shows whether queries hold up writes.
import { Agent } from "node:http";
import { compressSync } from "snappy";
import { encodeWriteRequest, type TestSeries } from "../src/coordinator/index.js";
import { sleep } from "./external-tools.js";
import { postWrite } from "./query-servers.js";
import type { Samples } from "./samples.js";

export interface IngestProbeOptions {
  seconds: number;
  requestsPerS: number;
  samplesPerRequest: number;
  /** Requests in flight at most; a slot that finds this many waiting is skipped and counted. */
  maxInflight: number;
}

export interface IngestProbe {
  p50Ms: number;
  p99Ms: number;
  requests: number;
  skipped: number;
}

/** The value at quantile `q` of sorted `xs` (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/**
 * Sends requests at `requestsPerS` for `seconds`; series continue from
 * `cursor.next` (so a second probe writes later samples to other series
 * first) with their last loaded value, at Date.now() of the send.
 */
export async function probeIngest(
  writeUrl: string,
  data: Samples,
  cursor: { next: number },
  o: IngestProbeOptions,
): Promise<IngestProbe> {
  const url = new URL(writeUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: o.maxInflight });
  const periodMs = 1000 / o.requestsPerS;
  const slots = Math.round(o.seconds * o.requestsPerS);
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  let inflight = 0;
  let skipped = 0;
  let failure: Error | null = null;
  const batch: TestSeries[] = [];
  const t0 = performance.now();
  try {
    for (let k = 0; k < slots && failure === null; k++) {
      const wait = t0 + k * periodMs - performance.now();
      if (wait > 0) await sleep(wait);
      if (inflight >= o.maxInflight) {
        skipped++;
        continue;
      }
      const nowMs = Date.now();
      batch.length = 0;
      for (let i = 0; i < o.samplesPerRequest; i++) {
        const s = data.series[cursor.next];
        cursor.next = (cursor.next + 1) % data.series.length;
        batch.push({
          labels: s.labels,
          timesMs: [nowMs],
          values: [s.values[s.values.length - 1]],
        });
      }
      const body = compressSync(encodeWriteRequest(batch, { version: "1.0" }));
      inflight++;
      const start = performance.now();
      pending.push(
        postWrite(agent, url, body)
          .then((res) => {
            if (res.status < 200 || res.status >= 300) {
              failure ??= new Error(`probe write refused: ${res.status} ${res.text.slice(0, 300)}`);
            }
            latencies.push(performance.now() - start);
          })
          .catch((e: Error) => {
            failure ??= e;
          })
          .finally(() => {
            inflight--;
          }),
      );
    }
    await Promise.all(pending);
  } finally {
    agent.destroy();
  }
  if (failure !== null) throw failure;
  latencies.sort((a, b) => a - b);
  return {
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    requests: latencies.length,
    skipped,
  };
}
