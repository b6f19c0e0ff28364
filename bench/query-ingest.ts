// Ingest latency of bench:query: remote write requests sent to m3ts at a
// steady rate (open loop: each leaves at its slot whether or not the ones
// before were answered, as scrapes arrive whatever the server is doing;
// 429 and 503 are retried, as Prometheus retries them),
// each one sample for the next slice of the loaded series at the current
// time, and the time until each is acknowledged. Run once idle and once
// while a loop of queries runs, it shows whether queries hold up writes.
import { Agent } from "node:http";
import { compressSync } from "snappy";
import { encodeWriteRequest, type TestSeries } from "../src/coordinator/index.js";
import { sleep } from "./external-tools.js";
import { postWrite } from "./remote-write-post.js";
import type { Samples } from "./samples.js";

export interface IngestProbeOptions {
  seconds: number;
  requestsPerS: number;
  samplesPerRequest: number;
}

export interface IngestProbe {
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Answers of 429 or 503, each retried after a pause (inside its request's latency). */
  retries: number;
}

const RETRY_PAUSE_MS = 50;

/** The value at quantile `q` of sorted `xs` (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/**
 * Sends requests at `requestsPerS` for `seconds`; series continue from
 * `cursor.next` (so a second probe writes later samples to other series
 * first) with their last loaded value, at Date.now() of the send. A
 * request's latency runs from its slot to its acceptance, retries included,
 * so a server that holds writes back is not hidden by fewer requests.
 */
export async function probeIngest(
  writeUrl: string,
  data: Samples,
  cursor: { next: number },
  o: IngestProbeOptions,
): Promise<IngestProbe> {
  const url = new URL(writeUrl);
  const slots = Math.round(o.seconds * o.requestsPerS);
  // One socket per request at most, so that none waits in the agent's queue.
  const agent = new Agent({ keepAlive: true, maxSockets: slots });
  const periodMs = 1000 / o.requestsPerS;
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  let retries = 0;
  let failure: Error | null = null;
  const batch: TestSeries[] = [];
  const send = async (body: Buffer, slotMs: number): Promise<void> => {
    for (;;) {
      const res = await postWrite(agent, url, body);
      if (res.status >= 200 && res.status < 300) break;
      if (res.status !== 429 && res.status !== 503) {
        throw new Error(`probe write refused: ${res.status} ${res.text.slice(0, 300)}`);
      }
      retries++;
      await sleep(RETRY_PAUSE_MS);
    }
    latencies.push(performance.now() - slotMs);
  };
  const t0 = performance.now();
  try {
    for (let k = 0; k < slots && failure === null; k++) {
      const slotMs = t0 + k * periodMs;
      const wait = slotMs - performance.now();
      if (wait > 0) await sleep(wait);
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
      pending.push(
        send(body, slotMs).catch((e: Error) => {
          failure ??= e;
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
    retries,
  };
}
