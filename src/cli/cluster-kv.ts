// What the cluster's processes build from the `cluster` section: the etcd
// KV holding placement and namespaces, and the TLS files of the node RPC.
import { EtcdKV, type KV, KVUnavailableError } from "../cluster/index.js";
import type { Logger } from "../x/index.js";
import type { M3tsConfig } from "./config.js";
import { ConfigError } from "./config-error.js";

/** The etcd KV of `cluster.etcd`, in M3's keys for `cluster.env`. */
export function openClusterKV(config: M3tsConfig): Promise<KV> {
  const e = config.cluster.etcd;
  const endpoints = e.endpoints
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (endpoints.length === 0) {
    throw new ConfigError(
      "cluster.etcd.endpoints",
      e.endpoints,
      "a comma-separated host:port list",
    );
  }
  if ((e.certFile === null) !== (e.keyFile === null)) {
    throw new ConfigError(
      e.certFile === null ? "cluster.etcd.certFile" : "cluster.etcd.keyFile",
      null,
      "a certificate and a key together",
    );
  }
  if (e.caFile === null && e.certFile !== null) {
    throw new ConfigError(
      "cluster.etcd.caFile",
      null,
      "a CA file whenever a client certificate is set",
    );
  }
  return EtcdKV.open({
    endpoints,
    env: config.cluster.env,
    ...(e.caFile !== null && {
      tls: {
        caFile: e.caFile,
        ...(e.certFile !== null && { certFile: e.certFile }),
        ...(e.keyFile !== null && { keyFile: e.keyFile }),
      },
    }),
  });
}

/** The pause between two attempts to reach etcd at start. */
const ETCD_RETRY_MS = 1000;

/**
 * openClusterKV, waiting for etcd when it does not answer yet: a cluster's
 * processes may start before their etcd (a warning per attempt says so).
 * A configuration error still fails at once.
 */
export async function openClusterKVWhenReachable(config: M3tsConfig, logger: Logger): Promise<KV> {
  for (;;) {
    try {
      return await openClusterKV(config);
    } catch (e) {
      if (!(e instanceof KVUnavailableError)) throw e;
      logger.warn({ err: e }, `etcd is not reachable yet; trying again in ${ETCD_RETRY_MS} ms`);
      await new Promise((r) => setTimeout(r, ETCD_RETRY_MS));
    }
  }
}

function checkPair(config: M3tsConfig): void {
  const t = config.cluster.tls;
  if ((t.certFile === null) !== (t.keyFile === null)) {
    throw new ConfigError(
      t.certFile === null ? "cluster.tls.certFile" : "cluster.tls.keyFile",
      null,
      "a certificate and a key together",
    );
  }
}

/** The dbnode's TLS: its certificate and key, and the CA client certificates are checked against. */
export function rpcServerTls(config: M3tsConfig): {
  tls?: { caFile?: string; certFile: string; keyFile: string };
} {
  checkPair(config);
  const t = config.cluster.tls;
  if (t.certFile === null || t.keyFile === null) {
    if (t.caFile !== null) {
      throw new ConfigError(
        "cluster.tls.certFile",
        null,
        "the node's certificate when caFile is set",
      );
    }
    return {};
  }
  return {
    tls: {
      certFile: t.certFile,
      keyFile: t.keyFile,
      ...(t.caFile !== null && { caFile: t.caFile }),
    },
  };
}

/** The coordinator's TLS: the CA nodes are checked against, and its own certificate if set. */
export function rpcClientTls(config: M3tsConfig): {
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
} {
  checkPair(config);
  const t = config.cluster.tls;
  if (t.caFile === null) return {};
  return {
    tls: {
      caFile: t.caFile,
      ...(t.certFile !== null && { certFile: t.certFile }),
      ...(t.keyFile !== null && { keyFile: t.keyFile }),
    },
  };
}
