// The node transport over gRPC: one channel per node, every call with its
// deadline, node.proto's messages through src/rpc's codecs. A node's error
// comes back as the typed error the cluster client acts on: overloaded
// (retry after a backoff), unavailable (unreachable or past the deadline),
// or the node's own error with its code (RemoteNodeError).
import { readFileSync } from "node:fs";
import {
  type CallOptions,
  ChannelCredentials,
  Client as GrpcClient,
  Metadata,
  type MethodDefinition,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import type { WriteBatch, WriteResult } from "../dbnode/ts/index.js";
import type { Matcher } from "../index/index.js";
import { ERROR_CODE_METADATA_KEY, NODE_SERVICE } from "../rpc/index.js";
import type { IndexLimits } from "./client.js";
import {
  type NodeAggregateRequest,
  type NodeFetchRequest,
  type NodeHealth,
  NodeOverloadedError,
  type NodeSeries,
  type NodeSeriesTags,
  type NodeTransport,
  NodeUnavailableError,
  RemoteNodeError,
} from "./transport.js";

/** Certificates from files: the CA that signed the node's certificate, and this client's own. */
export interface GrpcTransportTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export interface GrpcNodeTransportOptions {
  /** Absent: plaintext. */
  tls?: GrpcTransportTls;
  /** Largest answer taken from the node (gRPC's receive bound). */
  maxResponseBytes?: number;
  /**
   * Longest wait between two attempts to reconnect to a node that went
   * away, so a node that comes back is used again within about this long.
   */
  maxReconnectBackoffMs?: number;
}

/** A fetch's answer can be large; gRPC's own default (4 MiB) is far too small for it. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024 * 1024;

/** gRPC's own default backoff grows to two minutes; a restarted node should serve again sooner. */
export const DEFAULT_MAX_RECONNECT_BACKOFF_MS = 2_000;
/** The first wait before reconnecting to a node that went away. */
const INITIAL_RECONNECT_BACKOFF_MS = 100;

export class GrpcNodeTransport implements NodeTransport {
  readonly endpoint: string;
  private readonly client: GrpcClient;

  /** Opens a channel to `endpoint` ("host:port"); it connects on the first call. */
  constructor(endpoint: string, options: GrpcNodeTransportOptions = {}) {
    this.endpoint = endpoint;
    this.client = new GrpcClient(endpoint, credentialsOf(options.tls), {
      "grpc.max_receive_message_length": options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      "grpc.max_send_message_length": -1,
      "grpc.initial_reconnect_backoff_ms": INITIAL_RECONNECT_BACKOFF_MS,
      "grpc.max_reconnect_backoff_ms":
        options.maxReconnectBackoffMs ?? DEFAULT_MAX_RECONNECT_BACKOFF_MS,
    });
  }

  async writeBatch(namespace: string, batch: WriteBatch, deadlineMs: number): Promise<WriteResult> {
    const res = await this.call(NODE_SERVICE.writeBatch, { namespace, batch }, deadlineMs);
    return {
      written: res.written,
      errors: res.errors.map((e) => ({
        index: e.index,
        error: new RemoteNodeError(this.endpoint, e.code, e.message),
      })),
      refs: res.refs,
    };
  }

  fetchTagged(req: NodeFetchRequest, deadlineMs: number): Promise<NodeSeries[]> {
    return this.call(NODE_SERVICE.fetchTagged, req, deadlineMs);
  }

  seriesTags(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    limits: IndexLimits,
    shards: readonly number[] | null,
    deadlineMs: number,
  ): Promise<NodeSeriesTags[]> {
    const req = {
      namespace,
      matchers,
      startMs,
      endMs,
      limits: { maxSeries: limits.maxSeries, maxDocsScanned: limits.maxDocsScanned },
      shards,
    };
    return this.call(NODE_SERVICE.seriesTags, req, deadlineMs);
  }

  labelNames(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    deadlineMs: number,
  ): Promise<string[]> {
    return this.call(NODE_SERVICE.labelNames, { namespace, matchers, startMs, endMs }, deadlineMs);
  }

  labelValues(
    namespace: string,
    name: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    deadlineMs: number,
  ): Promise<string[]> {
    const req = { namespace, name, matchers, startMs, endMs };
    return this.call(NODE_SERVICE.labelValues, req, deadlineMs);
  }

  health(deadlineMs: number): Promise<NodeHealth> {
    return this.call(NODE_SERVICE.health, null, deadlineMs);
  }

  aggregate(req: NodeAggregateRequest, deadlineMs: number): Promise<Uint8Array> {
    return this.call(NODE_SERVICE.aggregate, req, deadlineMs);
  }

  close(): void {
    this.client.close();
  }

  private call<Req, Res>(
    m: MethodDefinition<Req, Res>,
    req: Req,
    deadlineMs: number,
  ): Promise<Res> {
    // Encoding and decoding happen here rather than inside grpc-js, which
    // would turn a codec's typed error into a bare INTERNAL status.
    let request: Buffer;
    try {
      request = m.requestSerialize(req);
    } catch (e) {
      return Promise.reject(e);
    }
    const options: CallOptions = { deadline: deadlineMs };
    return new Promise<Res>((resolve, reject) => {
      this.client.makeUnaryRequest(
        m.path,
        passBytes,
        passBytes,
        request,
        new Metadata(),
        options,
        (err: ServiceError | null, answer?: Buffer) => {
          if (err !== null) {
            reject(this.errorOf(err));
            return;
          }
          try {
            resolve(m.responseDeserialize(answer ?? Buffer.alloc(0)));
          } catch (e) {
            reject(e);
          }
        },
      );
    });
  }

  /** The typed error a failed call stands for. */
  private errorOf(err: ServiceError): Error {
    const codeValues = err.metadata?.get(ERROR_CODE_METADATA_KEY) ?? [];
    const code = codeValues.length > 0 ? String(codeValues[0]) : null;
    const details = err.details || status[err.code] || "no details";
    if (err.code === status.RESOURCE_EXHAUSTED || code === "M3TS_ERR_NODE_OVERLOADED") {
      return new NodeOverloadedError(this.endpoint, details);
    }
    if (
      err.code === status.DEADLINE_EXCEEDED ||
      err.code === status.CANCELLED ||
      (err.code === status.UNAVAILABLE && code === null)
    ) {
      return new NodeUnavailableError(this.endpoint, `${status[err.code]}: ${details}`);
    }
    if (code !== null) return new RemoteNodeError(this.endpoint, code, details);
    return new RemoteNodeError(
      this.endpoint,
      "M3TS_ERR_NODE_RPC",
      `node ${this.endpoint} answered gRPC status ${status[err.code]}: ${details}`,
    );
  }
}

function passBytes(b: Buffer): Buffer {
  return b;
}

function credentialsOf(tls: GrpcTransportTls | undefined): ChannelCredentials {
  if (tls === undefined) return ChannelCredentials.createInsecure();
  const read = (path: string | undefined) => (path === undefined ? null : readFileSync(path));
  return ChannelCredentials.createSsl(read(tls.caFile), read(tls.keyFile), read(tls.certFile));
}
