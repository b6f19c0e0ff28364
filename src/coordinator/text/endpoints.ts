// The text ingest endpoints: InfluxDB line protocol (/api/v1/influxdb/write,
// 204 on success as InfluxDB answers) and M3's single-sample JSON write
// (/api/v1/json/write, 200). Lines that do not parse are refused with a 400
// naming the first; the other samples of the request are still written.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Client } from "../../client/index.js";
import { BadRequestError, readBody, SamplesRejectedError } from "../http.js";
import type { CoordinatorMetrics } from "../metrics.js";
import { namespaceOf, writeTargetOf } from "../write-headers.js";
import { parseInfluxLines } from "./influx-line.js";
import { parseJsonWrite } from "./json-write.js";
import { type SampleWriteOutcome, writeSamples } from "./sample-writer.js";

export interface TextWriteDeps {
  client: Client;
  namespace: string;
  metrics: CoordinatorMetrics;
  maxBodyBytes: number;
  now: () => number;
}

export async function handleInfluxWrite(
  req: IncomingMessage,
  res: ServerResponse,
  deps: TextWriteDeps,
): Promise<void> {
  const started = performance.now();
  try {
    const namespace = namespaceOf(writeTargetOf(req.headers), deps.namespace);
    const body = await readBody(req, deps.maxBodyBytes, { gzip: true });
    if (body.length === 0)
      throw new BadRequestError("request body is empty; InfluxDB line protocol is expected");
    const url = new URL(req.url ?? "/", "http://localhost");
    const precision = url.searchParams.get("precision") ?? undefined;
    const { samples, problems } = parseInfluxLines(body.toString("utf8"), {
      precision,
      nowMs: deps.now(),
    });
    const outcome = await writeSamples(deps.client, namespace, "influxdb", samples, deps.metrics);
    if (problems.length > 0) {
      deps.metrics.samplesRejected.inc(
        { protocol: "influxdb", reason: "M3TS_ERR_INFLUX_LINE" },
        problems.length,
      );
      const p = problems[0];
      throw new BadRequestError(
        `${problems.length} lines refused (${outcome.written} samples written); first: line ${p.line}: ${p.reason}`,
      );
    }
    answer(res, outcome, 204);
  } finally {
    deps.metrics.writeSeconds.observe(
      { protocol: "influxdb" },
      (performance.now() - started) / 1000,
    );
  }
}

export async function handleJsonWrite(
  req: IncomingMessage,
  res: ServerResponse,
  deps: TextWriteDeps,
): Promise<void> {
  const started = performance.now();
  try {
    const namespace = namespaceOf(writeTargetOf(req.headers), deps.namespace);
    const body = await readBody(req, deps.maxBodyBytes);
    const sample = parseJsonWrite(body.toString("utf8"), deps.now());
    const outcome = await writeSamples(deps.client, namespace, "json", [sample], deps.metrics);
    answer(res, outcome, 200);
  } finally {
    deps.metrics.writeSeconds.observe({ protocol: "json" }, (performance.now() - started) / 1000);
  }
}

function answer(res: ServerResponse, outcome: SampleWriteOutcome, okStatus: number): void {
  if (outcome.firstError !== null) {
    throw new SamplesRejectedError({ ...outcome, firstError: outcome.firstError });
  }
  res.writeHead(okStatus);
  res.end();
}
