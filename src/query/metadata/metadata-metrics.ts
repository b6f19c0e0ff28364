// The metadata store's self-metrics, read from the store when /metrics is scraped: how
// many families it holds and how many it dropped to stay within its bound.
import { Gauge, type Registry } from "prom-client";
import type { MetricMetadataStore } from "./metadata-store.js";

/** Registers the store's gauges in `registry`. */
export function registerMetadataMetrics(registry: Registry, store: MetricMetadataStore): void {
  const registers = [registry];
  new Gauge({
    name: "m3ts_metadata_metrics",
    help: "Metric families whose metadata (type, help, unit) the node holds.",
    registers,
    collect() {
      this.set(store.size);
    },
  });
  new Gauge({
    name: "m3ts_metadata_evicted_metrics",
    help: "Metric families whose metadata was dropped, least recently seen first, to stay within the bound, since start.",
    registers,
    collect() {
      this.set(store.evictedMetrics);
    },
  });
}
