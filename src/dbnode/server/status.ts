// One table from an error's code to the gRPC status the node answers with.
// The code itself always travels too (trailing metadata), so the client
// rebuilds the same typed error; the status is for what gRPC tooling sees
// and for the client's split between overloaded, unavailable and the rest.
import { Metadata, status } from "@grpc/grpc-js";
import { ERROR_CODE_METADATA_KEY } from "../../rpc/index.js";
import { M3tsError } from "../../x/index.js";

const STATUS_BY_CODE: Readonly<Record<string, status>> = {
  M3TS_ERR_NODE_OVERLOADED: status.RESOURCE_EXHAUSTED,
  M3TS_ERR_CALL_DEADLINE: status.DEADLINE_EXCEEDED,
  M3TS_ERR_UNKNOWN_NAMESPACE: status.NOT_FOUND,
  M3TS_ERR_BOOTSTRAPPING: status.UNAVAILABLE,
  M3TS_ERR_NODE_STOPPING: status.UNAVAILABLE,
  M3TS_ERR_NODE_FAILED: status.UNAVAILABLE,
  M3TS_ERR_NAMESPACE_CHANGING: status.UNAVAILABLE,
  M3TS_ERR_QUERY_LIMIT: status.FAILED_PRECONDITION,
  M3TS_ERR_INDEX_DISABLED: status.FAILED_PRECONDITION,
  M3TS_ERR_INVALID_MATCHER: status.INVALID_ARGUMENT,
  M3TS_ERR_INVALID_WRITE: status.INVALID_ARGUMENT,
  M3TS_ERR_RPC_MESSAGE: status.INVALID_ARGUMENT,
  M3TS_ERR_PUSHDOWN_UNSUPPORTED: status.UNIMPLEMENTED,
  M3TS_ERR_VOLUME_CORRUPT: status.DATA_LOSS,
  M3TS_ERR_STREAM_CORRUPT: status.DATA_LOSS,
  M3TS_ERR_PACKED_CORRUPT: status.DATA_LOSS,
};

/** An error raised while serving a call, as grpc-js sends it: status, message, code in metadata. */
export function statusOf(e: unknown): { code: status; details: string; metadata: Metadata } {
  const metadata = new Metadata();
  if (e instanceof M3tsError) {
    metadata.set(ERROR_CODE_METADATA_KEY, e.code);
    return { code: STATUS_BY_CODE[e.code] ?? status.UNKNOWN, details: e.message, metadata };
  }
  // Anything untyped is a bug on the node; it still crosses as a typed error.
  metadata.set(ERROR_CODE_METADATA_KEY, "M3TS_ERR_NODE_INTERNAL");
  const details = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return { code: status.INTERNAL, details: `node internal error: ${details}`, metadata };
}
