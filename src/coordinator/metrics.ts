// The coordinator's self-metrics (prom-client), served with the database's
// on /metrics. Counted per request, never per sample.
import { Counter, Histogram, type Registry } from "prom-client";

export type IngestProtocol = "prometheus" | "influxdb" | "json" | "carbon";

export class CoordinatorMetrics {
  readonly samplesReceived: Counter<"protocol">;
  readonly samplesWritten: Counter<"protocol">;
  readonly samplesRejected: Counter<"protocol" | "reason">;
  /** Parts of a request accepted and not stored: exemplars, native histograms, metadata. */
  readonly dropped: Counter<"kind">;
  readonly writeSeconds: Histogram<"protocol">;
  readonly requests: Counter<"handler" | "code">;
  readonly readSeconds: Histogram<"response_type">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.samplesReceived = new Counter({
      name: "m3ts_coordinator_samples_received_total",
      help: "Samples decoded from ingest requests, by protocol.",
      labelNames: ["protocol"],
      registers,
    });
    this.samplesWritten = new Counter({
      name: "m3ts_coordinator_samples_written_total",
      help: "Samples the database accepted (acknowledged), by protocol.",
      labelNames: ["protocol"],
      registers,
    });
    this.samplesRejected = new Counter({
      name: "m3ts_coordinator_samples_rejected_total",
      help: "Samples refused, by protocol and reason (an error code).",
      labelNames: ["protocol", "reason"],
      registers,
    });
    this.dropped = new Counter({
      name: "m3ts_coordinator_dropped_total",
      help: "Exemplars, native histograms and metadata received and not stored, by kind.",
      labelNames: ["kind"],
      registers,
    });
    this.writeSeconds = new Histogram({
      name: "m3ts_coordinator_write_seconds",
      help: "Time from a write request's arrival to its response, by protocol.",
      labelNames: ["protocol"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.requests = new Counter({
      name: "m3ts_coordinator_requests_total",
      help: "HTTP requests answered, by handler and status code.",
      labelNames: ["handler", "code"],
      registers,
    });
    this.readSeconds = new Histogram({
      name: "m3ts_coordinator_remote_read_seconds",
      help: "Time to answer a remote read request, by response type.",
      labelNames: ["response_type"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
      registers,
    });
  }
}
