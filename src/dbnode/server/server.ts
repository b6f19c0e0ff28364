// The node's RPC server: node.proto's service on @grpc/grpc-js over this
// node's Database. Every call is admitted against the bounds on calls and
// bytes in flight (refused at once past them, never queued), carries its
// caller's deadline into the work, and answers an error as a gRPC status
// with the M3tsError's code in the trailing metadata.
import { readFile } from "node:fs/promises";
import {
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import {
  decodeAggregateRequest,
  decodeFetchTaggedRequest,
  decodeLabelNamesRequest,
  decodeLabelValuesRequest,
  decodeSeriesTagsRequest,
  decodeWriteBatchRequest,
  encodeAggregateResponse,
  encodeFetchTaggedResponse,
  encodeHealthResponse,
  encodeLabelsResponse,
  encodeSeriesTagsResponse,
  encodeWriteBatchResponse,
  NODE_SERVICE_RAW,
  type NodeMethodName,
} from "../../rpc/index.js";
import type { Database } from "../storage/index.js";
import { NodeServerOptionError } from "./errors.js";
import { type CallContext, type EvaluateAggregate, NodeCalls } from "./node-calls.js";
import { InFlightGate } from "./pressure.js";
import { statusOf } from "./status.js";

/** The server's bounds; past either in-flight bound a call is refused with RESOURCE_EXHAUSTED. */
export interface NodeServerLimits {
  /** Calls served at once. */
  maxCallsInFlight: number;
  /** Request and response bytes held by the calls served at once. */
  maxBytesInFlight: number;
  /** Largest request message taken (gRPC's receive bound). */
  maxRequestBytes: number;
}

export const DEFAULT_NODE_SERVER_LIMITS: Readonly<NodeServerLimits> = {
  maxCallsInFlight: 256,
  maxBytesInFlight: 512 * 1024 * 1024,
  maxRequestBytes: 64 * 1024 * 1024,
};

/** Certificates from files; with a CA the server asks for and checks client certificates. */
export interface NodeServerTls {
  caFile?: string;
  certFile: string;
  keyFile: string;
}

export interface NodeServerOptions {
  db: Database;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Port to bind; 0 picks a free one. */
  port: number;
  tls?: NodeServerTls;
  /** Evaluates a pushed-down aggregation (absent: Aggregate answers UNIMPLEMENTED). */
  evaluateAggregate?: EvaluateAggregate;
  /** Whether this node owns a shard (absent: every shard); writes for others are refused per datapoint. */
  ownsShard?: (shard: number) => boolean;
  limits?: Partial<NodeServerLimits>;
}

export interface NodeServer {
  /** The port bound. */
  readonly port: number;
  /** Stops taking calls; calls under way get `graceMs` to finish before they are cancelled. */
  close(graceMs?: number): Promise<void>;
}

/** How long close lets calls under way finish before it cancels them. */
const DEFAULT_CLOSE_GRACE_MS = 5_000;

/** Starts the node service on host:port; resolves once it is bound. */
export async function startNodeServer(o: NodeServerOptions): Promise<NodeServer> {
  const limits = resolveLimits(o.limits);
  const host = o.host ?? "127.0.0.1";
  const credentials = await serverCredentials(o.tls);
  const server = new Server({
    "grpc.max_receive_message_length": limits.maxRequestBytes,
    "grpc.max_send_message_length": -1,
  });
  const calls = new NodeCalls({
    db: o.db,
    ownsShard: o.ownsShard ?? null,
    evaluateAggregate: o.evaluateAggregate ?? null,
  });
  const gate = new InFlightGate(limits.maxCallsInFlight, limits.maxBytesInFlight);
  const impl: Record<NodeMethodName, ReturnType<typeof handler>> = {
    writeBatch: handler(gate, async (b) =>
      encodeWriteBatchResponse(await calls.writeBatch(decodeWriteBatchRequest(b))),
    ),
    fetchTagged: handler(gate, async (b, ctx) =>
      encodeFetchTaggedResponse(await calls.fetchTagged(decodeFetchTaggedRequest(b), ctx)),
    ),
    seriesTags: handler(gate, async (b) =>
      encodeSeriesTagsResponse(await calls.seriesTags(decodeSeriesTagsRequest(b))),
    ),
    labelNames: handler(gate, async (b) =>
      encodeLabelsResponse(await calls.labelNames(decodeLabelNamesRequest(b))),
    ),
    labelValues: handler(gate, async (b) =>
      encodeLabelsResponse(await calls.labelValues(decodeLabelValuesRequest(b))),
    ),
    health: handler(gate, async () => encodeHealthResponse(await calls.health())),
    aggregate: handler(gate, async (b, ctx) =>
      encodeAggregateResponse(await calls.aggregate(decodeAggregateRequest(b), ctx)),
    ),
  };
  server.addService(NODE_SERVICE_RAW, impl as unknown as UntypedServiceImplementation);
  const address = host.includes(":") ? `[${host}]:${o.port}` : `${host}:${o.port}`;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, credentials, (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  return {
    port,
    close: (graceMs = DEFAULT_CLOSE_GRACE_MS) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}

/** Wraps one call's work: admission, deadline, byte accounting, the answer or the error's status. */
function handler(
  gate: InFlightGate,
  work: (request: Buffer, ctx: CallContext) => Promise<Uint8Array>,
): (call: ServerUnaryCall<Buffer, Uint8Array>, callback: sendUnaryData<Uint8Array>) => void {
  return (call, callback) => {
    const requestBytes = call.request.length;
    const refusal = gate.admit(requestBytes);
    if (refusal !== null) {
      callback(statusOf(refusal));
      return;
    }
    let held = requestBytes;
    const deadline = call.getDeadline();
    const ctx: CallContext = {
      deadlineMs: deadline instanceof Date ? deadline.getTime() : deadline,
      cancelled: () => call.cancelled,
      hold: (n) => {
        gate.hold(n);
        held += n;
      },
    };
    work(call.request, ctx).then(
      (answer) => {
        gate.release(held);
        callback(null, answer);
      },
      (e: unknown) => {
        gate.release(held);
        callback(statusOf(e));
      },
    );
  };
}

function resolveLimits(given: Partial<NodeServerLimits> | undefined): NodeServerLimits {
  const limits = { ...DEFAULT_NODE_SERVER_LIMITS, ...given };
  for (const [name, v] of Object.entries(limits)) {
    if (!(Number.isInteger(v) && v > 0)) {
      throw new NodeServerOptionError(name, `must be a positive integer, got ${v}`);
    }
  }
  return limits;
}

async function serverCredentials(tls: NodeServerTls | undefined): Promise<ServerCredentials> {
  if (tls === undefined) return ServerCredentials.createInsecure();
  const [ca, cert, key] = await Promise.all([
    tls.caFile === undefined ? null : readFile(tls.caFile),
    readFile(tls.certFile),
    readFile(tls.keyFile),
  ]);
  return ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], ca !== null);
}
