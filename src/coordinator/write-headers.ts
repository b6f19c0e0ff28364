// M3's write headers (M3's src/x/headers/headers.go, read in
// src/query/api/v1/handler/prometheus/remote/write.go): M3-Metrics-Type chooses
// the unaggregated namespace or an aggregated one, M3-Storage-Policy
// (`resolution:retention`, e.g. `1m:48h`) names the aggregated one.
import type { IncomingHttpHeaders } from "node:http";
import { parseDurationMs } from "../x/index.js";
import { BadRequestError } from "./http.js";

export interface StoragePolicy {
  resolutionMs: number;
  retentionMs: number;
  text: string;
}

export interface WriteTarget {
  metricsType: "unaggregated" | "aggregated";
  storagePolicy: StoragePolicy | null;
}

/** The write target the request's headers ask for (unaggregated when they say nothing). */
export function writeTargetOf(headers: IncomingHttpHeaders): WriteTarget {
  const type = header(headers, "m3-metrics-type");
  const policy = header(headers, "m3-storage-policy");
  if (type === undefined || type === "" || type.toLowerCase() === "unaggregated") {
    if (policy !== undefined && policy !== "") {
      throw new BadRequestError(
        `header M3-Storage-Policy ${JSON.stringify(policy)} must be empty when M3-Metrics-Type is unaggregated`,
      );
    }
    return { metricsType: "unaggregated", storagePolicy: null };
  }
  if (type.toLowerCase() !== "aggregated") {
    throw new BadRequestError(
      `header M3-Metrics-Type ${JSON.stringify(type)} is invalid: expected "unaggregated" or "aggregated"`,
    );
  }
  if (policy === undefined || policy === "") {
    throw new BadRequestError(
      "header M3-Storage-Policy is required when M3-Metrics-Type is aggregated (e.g. 1m:48h)",
    );
  }
  return { metricsType: "aggregated", storagePolicy: parseStoragePolicy(policy) };
}

/** `resolution:retention`, both durations (M3's storage policy notation). */
export function parseStoragePolicy(text: string): StoragePolicy {
  const parts = text.split(":");
  const bad = (why: string) =>
    new BadRequestError(`header M3-Storage-Policy ${JSON.stringify(text)} is invalid: ${why}`);
  if (parts.length !== 2) throw bad("expected resolution:retention, e.g. 1m:48h");
  let resolutionMs: number;
  let retentionMs: number;
  try {
    resolutionMs = parseDurationMs(parts[0]);
    retentionMs = parseDurationMs(parts[1]);
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (!(resolutionMs > 0 && retentionMs > 0))
    throw bad("resolution and retention must be positive");
  return { resolutionMs, retentionMs, text };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The namespace a write goes to. Aggregated namespaces (a resolution per
 * namespace) arrive with the downsampler; until then a request that asks for
 * one is refused rather than written somewhere it did not ask for.
 */
export function namespaceOf(target: WriteTarget, unaggregated: string): string {
  if (target.metricsType === "unaggregated") return unaggregated;
  throw new BadRequestError(
    `no aggregated namespace has storage policy ${target.storagePolicy?.text}: ` +
      "this node has only the unaggregated namespace (send M3-Metrics-Type: unaggregated or no header)",
  );
}
