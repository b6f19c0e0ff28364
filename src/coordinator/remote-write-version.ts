// Which remote write protocol a request speaks, from its Content-Type, as
// the 2.0 specification defines it: no type, `application/x-protobuf`, or
// `proto=prometheus.WriteRequest` is 1.0; `proto=io.prometheus.write.v2.Request`
// is 2.0; anything else is refused with 415 so the sender can fall back.
import { M3tsError } from "../x/index.js";

export const SAMPLES_WRITTEN_HEADER = "X-Prometheus-Remote-Write-Samples-Written";
export const HISTOGRAMS_WRITTEN_HEADER = "X-Prometheus-Remote-Write-Histograms-Written";
export const EXEMPLARS_WRITTEN_HEADER = "X-Prometheus-Remote-Write-Exemplars-Written";

const V1 = "prometheus.WriteRequest";
const V2 = "io.prometheus.write.v2.Request";

/** A Content-Type or Content-Encoding this endpoint does not take (HTTP 415). */
export class UnsupportedMediaTypeError extends M3tsError {
  constructor(what: string) {
    super("M3TS_ERR_UNSUPPORTED_MEDIA_TYPE", what);
  }
}

export function remoteWriteVersionOf(contentType: string | undefined): "1.0" | "2.0" {
  if (contentType === undefined || contentType.trim() === "") return "1.0";
  const [type, ...params] = contentType.split(";").map((p) => p.trim());
  if (type.toLowerCase() !== "application/x-protobuf") {
    throw new UnsupportedMediaTypeError(
      `Content-Type ${JSON.stringify(contentType)} is not supported: send application/x-protobuf ` +
        `(proto=${V1} or proto=${V2})`,
    );
  }
  for (const p of params) {
    const eq = p.indexOf("=");
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== "proto") continue;
    const proto = p
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, "$1");
    if (proto === V1) return "1.0";
    if (proto === V2) return "2.0";
    throw new UnsupportedMediaTypeError(
      `Content-Type proto ${JSON.stringify(proto)} is not supported: use ${V1} or ${V2}`,
    );
  }
  return "1.0";
}

/** Remote write bodies are snappy blocks; an absent encoding is taken as snappy, as senders of 1.0 expect. */
export function checkContentEncoding(encoding: string | undefined): void {
  if (
    encoding === undefined ||
    encoding.trim() === "" ||
    encoding.trim().toLowerCase() === "snappy"
  )
    return;
  throw new UnsupportedMediaTypeError(
    `Content-Encoding ${JSON.stringify(encoding)} is not supported: remote write bodies are snappy`,
  );
}
