// Which remote write protocol a request speaks, from its Content-Type and Content-Encoding,
// as the remote write 2.0 specification negotiates it, and the response headers 2.0 defines.
//
// Content-Type is an HTTP media type (RFC 9110 §8.3.1): type, subtype and parameter names
// are case-insensitive, parameters are separated by `;` with optional whitespace, and a
// value may be a quoted string. The `proto` value is a protobuf message name and is matched
// exactly. No type, `application/x-protobuf` alone, or `proto=prometheus.WriteRequest` is
// 1.0; `proto=io.prometheus.write.v2.Request` is 2.0; anything else is refused with 415 so
// that a 2.0 sender can fall back to 1.0.
import { M3tsError } from "../../x/index.js";

/** Response headers of a 2.0 write: how many of each kind the receiver wrote. */
export const SAMPLES_WRITTEN_HEADER = "X-Prometheus-Remote-Write-Samples-Written";
export const HISTOGRAMS_WRITTEN_HEADER = "X-Prometheus-Remote-Write-Histograms-Written";
export const EXEMPLARS_WRITTEN_HEADER = "X-Prometheus-Remote-Write-Exemplars-Written";

export type RemoteWriteVersion = "1.0" | "2.0";

const MEDIA_TYPE = "application/x-protobuf";
const V1_PROTO = "prometheus.WriteRequest";
const V2_PROTO = "io.prometheus.write.v2.Request";

const ACCEPTED_TYPES =
  `${MEDIA_TYPE} (remote write 1.0), ${MEDIA_TYPE};proto=${V1_PROTO} (1.0) ` +
  `or ${MEDIA_TYPE};proto=${V2_PROTO} (2.0)`;

/** A Content-Type or Content-Encoding this endpoint does not take (HTTP 415). */
export class UnsupportedMediaTypeError extends M3tsError {
  /** "Content-Type" or "Content-Encoding". */
  readonly header: string;
  /** The header's value as sent. */
  readonly value: string;

  constructor(header: string, value: string, why: string, accepted: string) {
    super(
      "M3TS_ERR_UNSUPPORTED_MEDIA_TYPE",
      `${header} ${JSON.stringify(value)} is not supported (${why}); send ${accepted}`,
    );
    this.header = header;
    this.value = value;
  }
}

/** The remote write version a request's Content-Type names; throws UnsupportedMediaTypeError. */
export function remoteWriteVersionOf(contentType: string | undefined): RemoteWriteVersion {
  // Senders of 1.0 may leave the header out; the specification reads that as 1.0.
  if (contentType === undefined || isBlank(contentType)) return "1.0";
  const refuse = (why: string): never => {
    throw new UnsupportedMediaTypeError("Content-Type", contentType, why, ACCEPTED_TYPES);
  };
  let semi = contentType.indexOf(";");
  if (semi < 0) semi = contentType.length;
  const type = contentType.slice(0, semi).trim().toLowerCase();
  if (type !== MEDIA_TYPE) refuse(`the media type is not ${MEDIA_TYPE}`);

  let proto: string | undefined;
  let at = semi;
  while (at < contentType.length) {
    // `at` is on a ';'.
    at++;
    let next = at;
    let inQuotes = false;
    for (; next < contentType.length; next++) {
      const c = contentType[next];
      if (inQuotes && c === "\\") next++;
      else if (c === '"') inQuotes = !inQuotes;
      else if (c === ";" && !inQuotes) break;
    }
    if (inQuotes) refuse("a quoted parameter value is not closed");
    const param = contentType.slice(at, next).trim();
    at = next;
    // RFC 9110 allows empty parameters (`a/b;;c=d`, a trailing `;`).
    if (param === "") continue;
    const eq = param.indexOf("=");
    if (eq <= 0) refuse(`parameter ${JSON.stringify(param)} is not name=value`);
    if (param.slice(0, eq).trim().toLowerCase() !== "proto") continue;
    const value = unquote(param.slice(eq + 1).trim());
    if (proto !== undefined && proto !== value) refuse("it names two different protos");
    proto = value;
  }
  if (proto === undefined || proto === V1_PROTO) return "1.0";
  if (proto === V2_PROTO) return "2.0";
  return refuse(`proto ${JSON.stringify(proto)} is not a remote write message`);
}

/**
 * Accepts the Content-Encoding of a remote write body: snappy (block format), or none, which
 * 1.0 senders that leave the header out also mean as snappy; throws UnsupportedMediaTypeError.
 */
export function checkContentEncoding(encoding: string | undefined): void {
  if (encoding === undefined || isBlank(encoding)) return;
  // Content codings are case-insensitive tokens (RFC 9110 §8.4.1).
  if (encoding.trim().toLowerCase() === "snappy") return;
  throw new UnsupportedMediaTypeError(
    "Content-Encoding",
    encoding,
    "remote write bodies are compressed with snappy",
    "Content-Encoding: snappy",
  );
}

function isBlank(s: string): boolean {
  return s.trim() === "";
}

/** A token as is, or a quoted string without its quotes and backslash escapes. */
function unquote(v: string): string {
  if (v.length < 2 || v[0] !== '"' || v[v.length - 1] !== '"') return v;
  return v.slice(1, -1).replace(/\\(.)/g, "$1");
}
