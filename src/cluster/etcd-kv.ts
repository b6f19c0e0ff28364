// The cluster KV on etcd (v3 API, through the etcd3 client), under the keys
// M3 uses, so placement and namespaces sit where M3's tools look for them.
//
// Keys (M3-NOTES §9.2). Callers use the logical keys of placement.ts, the
// same ones the embedded KV holds; EtcdKV, configured with an environment
// (M3's default `default_env`), maps them:
//   `_sd.placement/<any env>/<service>` -> `_sd.placement/<env>/<service>`
//     (the logical key space has one environment, so its placement keys name
//     M3's default; the env segment is replaced by the configured one)
//   any other key `<key>` -> `_kv/<env>/<key>`
//     (e.g. `m3db.node.namespaces` -> `_kv/default_env/m3db.node.namespaces`)
// Values are the JSON text of the value (M3 itself writes protobuf there:
// the keys match M3's, the bytes do not).
//
// Versions are etcd's per-key `version`: 1 at creation, one more per put, 0
// once deleted, exactly the KV's versions. Check-and-set and
// set-if-not-exists are one transaction comparing that version. This KV's
// own changes run one at a time in the order they were asked, like the
// embedded KV's; other writers interleave as etcd orders them.
//
// Watches resume where they stopped: each remembers the revision after the
// last event it delivered and, when the etcd3 client reconnects its watch
// stream (etcd restarted, connection lost), asks etcd to replay from there,
// so no change is lost or delivered twice. If etcd compacted that history
// away, the watch reads the key and delivers its current state when it
// changed, then watches on from the read's revision. A watch starts after
// the latest revision this KV has seen in any answer (open() makes one
// call), so get-then-watch sees every change after the get.
//
// Every call has a deadline, callTimeoutMs from when it was asked. Until
// then a call is retried (backing off from 50 ms to 1 s) while etcd cannot
// be reached, so a change asked during an etcd restart goes through once
// etcd is back; a change whose connection dropped after it was sent is not
// retried (it may have been applied). Past the deadline, or on such a drop,
// the call fails with KVUnavailableError naming the endpoints and the last
// transport error (refused connection, failed TLS handshake, ...).
import { readFile } from "node:fs/promises";
import type { CallOptions } from "@grpc/grpc-js";
import {
  Etcd3,
  GRPCCancelledError,
  GRPCDeadlineExceededError,
  type IKeyValue,
  type IOptions,
  type IResponseHeader,
  type IWatchResponse,
  isRecoverableError,
  type Watcher,
} from "etcd3";
import { M3tsError } from "../x/index.js";
import {
  type KV,
  KVClosedError,
  KVInvalidValueError,
  KVKeyExistsError,
  KVUnavailableError,
  type KVValue,
  KVVersionMismatchError,
  kvValueJson,
} from "./kv.js";

/** M3's default environment. */
export const DEFAULT_ETCD_ENV = "default_env";
/** Default bound of open()'s wait for a first answer from etcd. */
export const DEFAULT_ETCD_DIAL_TIMEOUT_MS = 5_000;
/** Default bound of one call, waiting for a connection included. */
export const DEFAULT_ETCD_CALL_TIMEOUT_MS = 5_000;
/**
 * Largest value, as JSON bytes. etcd refuses requests above its
 * --max-request-bytes (1.5 MiB by default); a put also carries the key and,
 * in a transaction, the comparison, so values stay under 1 MiB.
 */
export const MAX_ETCD_VALUE_BYTES = 1 << 20;
/** Bounds of the waits between reconnections of a lost watch, and between retries of a call. */
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 1_000;
/** Bound of close()'s wait for etcd to confirm cancelled watches. */
const CLOSE_CANCEL_WAIT_MS = 1_000;

const PLACEMENT_PREFIX = "_sd.placement";
const KV_PREFIX = "_kv";
const PLACEMENT_KEY_SHAPE = /^_sd\.placement\/[^/]*\/([^/]+)$/;
const ENDPOINT_SHAPE = /^(https?:\/\/)?[^\s/:]+(:\d+)?$/;

export interface EtcdKVTls {
  /** PEM file of the CA that signed etcd's server certificate. */
  caFile: string;
  /** PEM files of this client's certificate and key, for etcd's --client-cert-auth. */
  certFile?: string;
  keyFile?: string;
}

export interface EtcdKVOptions {
  /** etcd client endpoints: "host:port" or "http(s)://host:port". */
  endpoints: readonly string[];
  /** M3's environment, the middle of every key (default `default_env`). */
  env?: string;
  /** Bound of open()'s first call (default 5 s). */
  dialTimeoutMs?: number;
  /** Bound of each call, waiting for a connection included (default 5 s). */
  callTimeoutMs?: number;
  tls?: EtcdKVTls;
  /**
   * Told of what a watch cannot deliver or recover from by itself: a value
   * that is not JSON (skipped), a failed read while resyncing (retried).
   */
  onWatchError?: (key: string, error: Error) => void;
}

/** EtcdKV options that cannot work: which one and why. */
export class EtcdKVOptionsError extends M3tsError {
  readonly option: string;

  constructor(option: string, why: string) {
    super("M3TS_ERR_KV_OPTIONS", `etcd KV option ${option}: ${why}`);
    this.option = option;
  }
}

/** The etcd key M3 keeps a logical KV key under, in environment `env` (see the module comment). */
export function etcdKeyOf(env: string, key: string): string {
  const placement = PLACEMENT_KEY_SHAPE.exec(key);
  if (placement !== null) return `${PLACEMENT_PREFIX}/${env}/${placement[1]}`;
  return `${KV_PREFIX}/${env}/${key}`;
}

/** One watch(): its callback, and where its stream resumes. */
interface KeyWatch {
  readonly key: string;
  readonly etcdKey: Buffer;
  readonly onChange: (value: KVValue | null) => void;
  /** The first revision not yet delivered: where a reconnected stream starts. */
  nextRevision: number;
  /** Whether the last delivered state was a value (undefined before any). */
  lastPresent: boolean | undefined;
  watcher: Watcher | null;
  stopped: boolean;
  /** Wait before the next resync after a lost stream; reset by any event. */
  retryMs: number;
}

// No retries or circuit breaker inside etcd3: a retried change could apply
// twice, and an open breaker would refuse calls for seconds after etcd is
// back. Calls are retried here instead, within their deadline, when that is
// safe. (async, so a callback's synchronous throw is a rejection, as etcd3
// expects.)
const passThrough = {
  execute: async <T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T): Promise<T> =>
    fn({ signal: new AbortController().signal }),
};
type FaultHandling = NonNullable<IOptions["faultHandling"]>;
type Policy = NonNullable<FaultHandling["global"]>;
type WatchBackoff = NonNullable<FaultHandling["watchBackoff"]>;
type Backoff = { duration: number; next(): Backoff };
function watchBackoff(durationMs: number): Backoff {
  return {
    duration: durationMs,
    next: () => watchBackoff(Math.min(durationMs * 2, RETRY_MAX_MS)),
  };
}

export class EtcdKV implements KV {
  readonly endpoints: readonly string[];
  readonly env: string;
  private readonly callTimeoutMs: number;
  private readonly onWatchError: ((key: string, error: Error) => void) | undefined;
  private readonly client: Etcd3;
  /** The highest store revision seen in any answer: where new watches start after. */
  private revision = 0;
  private readonly watches = new Set<KeyWatch>();
  private readonly cancels = new Set<Promise<void>>();
  /** The tail of the chain this KV's changes run on, one at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private closing = false;
  private closed: Promise<void> | null = null;

  private constructor(
    client: Etcd3,
    o: { endpoints: readonly string[]; env: string; callTimeoutMs: number },
    onWatchError: EtcdKVOptions["onWatchError"],
  ) {
    this.client = client;
    this.endpoints = o.endpoints;
    this.env = o.env;
    this.callTimeoutMs = o.callTimeoutMs;
    this.onWatchError = onWatchError;
  }

  /**
   * Connects to etcd and makes one call (bounded by dialTimeoutMs), so a
   * wrong endpoint or certificate fails here, as KVUnavailableError.
   */
  static async open(options: EtcdKVOptions): Promise<EtcdKV> {
    const endpoints = [...(options.endpoints ?? [])];
    if (endpoints.length === 0) throw new EtcdKVOptionsError("endpoints", "none given");
    for (const e of endpoints) {
      if (typeof e !== "string" || !ENDPOINT_SHAPE.test(e)) {
        throw new EtcdKVOptionsError(
          "endpoints",
          `${JSON.stringify(e)} is not "host:port" or "http(s)://host:port"`,
        );
      }
    }
    const env = options.env ?? DEFAULT_ETCD_ENV;
    if (typeof env !== "string" || env === "" || env.includes("/")) {
      throw new EtcdKVOptionsError(
        "env",
        `${JSON.stringify(env)} must be a non-empty name without "/"`,
      );
    }
    const dialTimeoutMs = positive(
      "dialTimeoutMs",
      options.dialTimeoutMs,
      DEFAULT_ETCD_DIAL_TIMEOUT_MS,
    );
    const callTimeoutMs = positive(
      "callTimeoutMs",
      options.callTimeoutMs,
      DEFAULT_ETCD_CALL_TIMEOUT_MS,
    );
    const clientOptions: IOptions = {
      hosts: endpoints,
      faultHandling: {
        host: () => passThrough as unknown as Policy,
        global: passThrough as unknown as Policy,
        watchBackoff: { next: () => watchBackoff(RETRY_FIRST_MS) } as unknown as WatchBackoff,
      },
      grpcOptions: {
        // Reconnect soon after etcd is back, not after grpc's 2-minute backoff ceiling.
        "grpc.initial_reconnect_backoff_ms": RETRY_FIRST_MS,
        "grpc.max_reconnect_backoff_ms": RETRY_MAX_MS,
        // Notice a silent peer (network partition) on an open stream.
        "grpc.keepalive_time_ms": 30_000,
        "grpc.keepalive_timeout_ms": 10_000,
      },
    };
    if (options.tls !== undefined) clientOptions.credentials = await readTls(options.tls);
    let client: Etcd3;
    try {
      client = new Etcd3(clientOptions);
    } catch (e) {
      // etcd3 refuses a mix of http and https endpoints.
      throw new EtcdKVOptionsError("endpoints", (e as Error).message);
    }
    const kv = new EtcdKV(client, { endpoints, env, callTimeoutMs }, options.onWatchError);
    try {
      const res = await kv.call("connect", "", false, dialTimeoutMs, Date.now(), (o) =>
        kv.client.kv.range({ key: Buffer.from(`${KV_PREFIX}/${env}/`), count_only: true }, o),
      );
      kv.seen(res.header);
    } catch (e) {
      kv.client.close();
      throw e;
    }
    return kv;
  }

  async get(key: string): Promise<KVValue | null> {
    if (this.closing) throw new KVClosedError(key, "read");
    const etcdKey = this.etcdKey(key);
    const res = await this.call("read", key, false, this.callTimeoutMs, Date.now(), (o) =>
      this.client.kv.range({ key: etcdKey }, o),
    );
    this.seen(res.header);
    const found = res.kvs[0];
    return found === undefined ? null : this.decode(key, found);
  }

  set(key: string, value: unknown): Promise<number> {
    return this.change(key, value, async (etcdKey, bytes, o) => {
      const res = await this.client.kv.put({ key: etcdKey, value: bytes, prev_kv: true }, o);
      this.seen(res.header);
      return (res.prev_kv ? Number(res.prev_kv.version) : 0) + 1;
    });
  }

  checkAndSet(key: string, expectedVersion: number, value: unknown): Promise<number> {
    return this.change(key, value, async (etcdKey, bytes, o) => {
      const res = await this.client.kv.txn(
        {
          compare: [{ key: etcdKey, target: "Version", result: "Equal", version: expectedVersion }],
          success: [{ request_put: { key: etcdKey, value: bytes } }],
          failure: [{ request_range: { key: etcdKey } }],
        },
        o,
      );
      this.seen(res.header);
      if (res.succeeded) return expectedVersion + 1;
      const current = res.responses[0]?.response_range?.kvs[0];
      throw new KVVersionMismatchError(key, expectedVersion, current ? Number(current.version) : 0);
    });
  }

  setIfNotExists(key: string, value: unknown): Promise<number> {
    return this.change(key, value, async (etcdKey, bytes, o) => {
      const res = await this.client.kv.txn(
        {
          compare: [{ key: etcdKey, target: "Version", result: "Equal", version: 0 }],
          success: [{ request_put: { key: etcdKey, value: bytes } }],
        },
        o,
      );
      this.seen(res.header);
      if (!res.succeeded) throw new KVKeyExistsError(key);
      return 1;
    });
  }

  delete(key: string): Promise<KVValue | null> {
    if (this.closing) return Promise.reject(new KVClosedError(key));
    let etcdKey: Buffer;
    try {
      etcdKey = this.etcdKey(key);
    } catch (e) {
      return Promise.reject(e);
    }
    const askedMs = Date.now();
    return this.serial(() =>
      this.call("delete", key, true, this.callTimeoutMs, askedMs, async (o) => {
        const res = await this.client.kv.deleteRange({ key: etcdKey, prev_kv: true }, o);
        this.seen(res.header);
        const held = res.prev_kvs[0];
        return held === undefined ? null : this.decode(key, held, "was deleted; it ");
      }),
    );
  }

  /**
   * Calls `onChange` after each change of `key` in etcd (null once deleted),
   * in etcd's order, from the revision after the latest one this KV has
   * seen. Not called with the current value. A watcher that throws throws
   * out of a microtask, where Node reports it as uncaught: a watcher must
   * handle its own errors.
   */
  watch(key: string, onChange: (value: KVValue | null) => void): () => void {
    const w: KeyWatch = {
      key,
      etcdKey: this.etcdKey(key),
      onChange,
      nextRevision: this.revision + 1,
      lastPresent: undefined,
      watcher: null,
      stopped: this.closing,
      retryMs: RETRY_FIRST_MS,
    };
    if (w.stopped) return () => {};
    this.watches.add(w);
    this.attach(w);
    return () => this.unwatch(w);
  }

  /** Waits for changes under way, refuses new calls (KVClosedError), stops the watches and closes the client. */
  close(): Promise<void> {
    if (this.closed === null) this.closed = this.shutDown();
    return this.closed;
  }

  private async shutDown(): Promise<void> {
    this.closing = true;
    await this.serial(async () => {});
    for (const w of [...this.watches]) this.unwatch(w);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.cancels]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, CLOSE_CANCEL_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
    this.client.close();
  }

  /** Runs a change on the chain: `apply` sends it with the call options and returns the new version. */
  private change(
    key: string,
    value: unknown,
    apply: (etcdKey: Buffer, bytes: Buffer, o: CallOptions) => Promise<number>,
  ): Promise<number> {
    if (this.closing) return Promise.reject(new KVClosedError(key));
    let etcdKey: Buffer;
    let bytes: Buffer;
    try {
      bytes = Buffer.from(kvValueJson(key, value, MAX_ETCD_VALUE_BYTES));
      etcdKey = this.etcdKey(key);
    } catch (e) {
      return Promise.reject(e);
    }
    // The deadline runs from the ask, so a change queued behind a slow one still fails in time.
    const askedMs = Date.now();
    return this.serial(() =>
      this.call("change", key, true, this.callTimeoutMs, askedMs, (o) => apply(etcdKey, bytes, o)),
    );
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => {});
    return run;
  }

  /**
   * One etcd call, due `timeoutMs` after `askedMs` (epoch ms). Transport
   * failures become KVUnavailableError; a read is retried until then, a
   * change only if it was never sent.
   */
  private async call<T>(
    operation: string,
    key: string,
    isChange: boolean,
    timeoutMs: number,
    askedMs: number,
    send: (o: CallOptions) => Promise<T>,
  ): Promise<T> {
    const deadlineMs = askedMs + timeoutMs;
    let waitMs = RETRY_FIRST_MS;
    // The last cause other than the deadline itself, for the message.
    let cause = "";
    for (;;) {
      try {
        return await send({ deadline: new Date(deadlineMs) });
      } catch (e) {
        if (!isTransportError(e)) throw e;
        if (!(e instanceof GRPCDeadlineExceededError)) cause = (e as Error).message;
        const leftMs = deadlineMs - Date.now();
        if ((isChange && !neverSent(e)) || leftMs <= 0) {
          const timedOut = e instanceof GRPCDeadlineExceededError || leftMs <= 0;
          throw new KVUnavailableError({
            key,
            operation,
            endpoints: this.endpoints,
            outcomeUnknown: isChange,
            why: timedOut
              ? `did not answer within ${timeoutMs} ms (${cause || (e as Error).message})`
              : `dropped the call (${(e as Error).message})`,
          });
        }
        await sleep(Math.min(waitMs, leftMs));
        waitMs = Math.min(waitMs * 2, RETRY_MAX_MS);
      }
    }
  }

  private etcdKey(key: string): Buffer {
    if (typeof key !== "string" || key === "") {
      throw new KVInvalidValueError(String(key), "the key must be a non-empty string");
    }
    return Buffer.from(etcdKeyOf(this.env, key));
  }

  private seen(header: IResponseHeader | undefined): void {
    const r = Number(header?.revision ?? 0);
    if (r > this.revision) this.revision = r;
  }

  /** The KV value etcd holds; `done` says what became of the key when that is not JSON. */
  private decode(key: string, kv: IKeyValue, done = ""): KVValue {
    let value: unknown;
    try {
      value = JSON.parse(kv.value.toString("utf8"));
    } catch {
      throw new KVInvalidValueError(
        key,
        `etcd key ${JSON.stringify(kv.key.toString())} ${done}holds ${kv.value.length} bytes that are not JSON (written by another program?)`,
      );
    }
    return { value, version: Number(kv.version) };
  }

  /** Opens the etcd watch stream of `w`, from `w.nextRevision`. */
  private attach(w: KeyWatch): void {
    const watcher = this.client
      .watch()
      .key(w.etcdKey)
      .startRevision(String(w.nextRevision))
      .watcher();
    w.watcher = watcher;
    watcher.on("data", (res) => this.onWatchData(w, watcher, res));
    // etcd3 resumes a reconnected stream after the last header it saw, which
    // can be past events not yet replayed: resume after what was delivered.
    watcher.on("disconnected", () => {
      watcher.request.start_revision = String(w.nextRevision);
    });
    // A cancelled stream (history compacted, or refused): resync from a read.
    watcher.on("error", (err) => {
      if (w.stopped || w.watcher !== watcher) return;
      // etcd3 has already dropped a cancelled watcher: nothing to cancel.
      w.watcher = null;
      this.onWatchError?.(w.key, err);
      const waitMs = w.retryMs;
      w.retryMs = Math.min(w.retryMs * 2, RETRY_MAX_MS);
      setTimeout(() => void this.resync(w), waitMs).unref();
    });
  }

  private onWatchData(w: KeyWatch, watcher: Watcher, res: IWatchResponse): void {
    if (w.stopped || w.watcher !== watcher) return;
    w.retryMs = RETRY_FIRST_MS;
    if (res.events.length === 0) {
      // A progress notice: etcd has sent every event up to its header.
      const next = Number(res.header.revision) + 1;
      if (next > w.nextRevision) w.nextRevision = next;
      return;
    }
    for (const ev of res.events) {
      const rev = Number(ev.kv.mod_revision);
      if (rev < w.nextRevision) continue;
      w.nextRevision = rev + 1;
      if (ev.type === "Delete") {
        this.deliver(w, null);
        continue;
      }
      let value: KVValue;
      try {
        value = this.decode(w.key, ev.kv);
      } catch (e) {
        this.onWatchError?.(w.key, e as Error);
        continue;
      }
      this.deliver(w, value);
    }
  }

  /** After a lost stream: delivers the key's state if it changed unseen, then watches on after the read. */
  private async resync(w: KeyWatch): Promise<void> {
    if (w.stopped) return;
    let res: Awaited<ReturnType<Etcd3["kv"]["range"]>>;
    try {
      res = await this.call("watch", w.key, false, this.callTimeoutMs, Date.now(), (o) =>
        this.client.kv.range({ key: w.etcdKey }, o),
      );
    } catch (e) {
      if (w.stopped) return;
      this.onWatchError?.(w.key, e as Error);
      setTimeout(() => void this.resync(w), w.retryMs).unref();
      w.retryMs = Math.min(w.retryMs * 2, RETRY_MAX_MS);
      return;
    }
    if (w.stopped) return;
    this.seen(res.header);
    const found = res.kvs[0];
    if (found !== undefined && Number(found.mod_revision) >= w.nextRevision) {
      try {
        this.deliver(w, this.decode(w.key, found));
      } catch (e) {
        this.onWatchError?.(w.key, e as Error);
      }
    } else if (found === undefined && w.lastPresent === true) {
      this.deliver(w, null);
    }
    w.nextRevision = Number(res.header.revision) + 1;
    this.attach(w);
  }

  private deliver(w: KeyWatch, value: KVValue | null): void {
    w.lastPresent = value !== null;
    try {
      w.onChange(value);
    } catch (e) {
      // Never into etcd3's stream handling: report it as FileKV does.
      queueMicrotask(() => {
        throw e;
      });
    }
  }

  private unwatch(w: KeyWatch): void {
    if (w.stopped) return;
    w.stopped = true;
    this.watches.delete(w);
    const watcher = w.watcher;
    w.watcher = null;
    if (watcher === null) return;
    const cancel = watcher.cancel().catch(() => {});
    this.cancels.add(cancel);
    void cancel.then(() => this.cancels.delete(cancel));
  }
}

/**
 * grpc-js's wording (its only sign) for a call refused before anything was
 * sent: the channel was closed under it (etcd3 closes a host's channels
 * after any failed call on it) or had no connection. Such a change was not
 * applied, so it is retried like a read.
 */
const NEVER_SENT = [/Channel closed before call started/, /No connection established/];

function neverSent(e: unknown): boolean {
  const message = (e as Error).message ?? "";
  return NEVER_SENT.some((re) => re.test(message));
}

/** Failures of the connection or the deadline, as opposed to etcd refusing the request. */
function isTransportError(e: unknown): boolean {
  return (
    isRecoverableError(e as Error) ||
    e instanceof GRPCDeadlineExceededError ||
    e instanceof GRPCCancelledError
  );
}

function positive(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new EtcdKVOptionsError(option, `${value} must be a positive number of milliseconds`);
  }
  return value;
}

async function readTls(tls: EtcdKVTls): Promise<NonNullable<IOptions["credentials"]>> {
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    throw new EtcdKVOptionsError("tls", "certFile and keyFile go together (both or neither)");
  }
  const read = async (option: string, path: string) => {
    try {
      return await readFile(path);
    } catch (e) {
      throw new EtcdKVOptionsError(`tls.${option}`, `cannot read ${path}: ${(e as Error).message}`);
    }
  };
  return {
    rootCertificate: await read("caFile", tls.caFile),
    ...(tls.certFile !== undefined && tls.keyFile !== undefined
      ? {
          certChain: await read("certFile", tls.certFile),
          privateKey: await read("keyFile", tls.keyFile),
        }
      : {}),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
