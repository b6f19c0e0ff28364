// The node service's own refusals: a shard the node does not own, a server
// past its bounds, a call past its deadline, a call the node cannot serve.
import { M3tsError } from "../../x/index.js";

/** A write for a shard this node does not own (M3: "not responsible for shard"); retry on its owners. */
export class ShardNotOwnedError extends M3tsError {
  readonly shard: number;

  constructor(shard: number) {
    super(
      "M3TS_ERR_SHARD_NOT_OWNED",
      `this node is not responsible for shard ${shard}; retry on the shard's owners`,
    );
    this.shard = shard;
  }
}

/** The server is past a bound on calls or bytes in flight; the caller retries after a backoff. */
export class ServerOverloadedError extends M3tsError {
  constructor(why: string) {
    super("M3TS_ERR_NODE_OVERLOADED", why);
  }
}

/** A call ran past the deadline its caller gave, and stopped. */
export class CallDeadlineError extends M3tsError {
  constructor(call: string, done: string) {
    super("M3TS_ERR_CALL_DEADLINE", `${call} stopped at its deadline after ${done}`);
  }
}

/** A pushed-down aggregation reached a node that has no evaluator for it. */
export class AggregateUnsupportedError extends M3tsError {
  constructor() {
    super(
      "M3TS_ERR_PUSHDOWN_UNSUPPORTED",
      "this node does not evaluate pushed-down aggregations; run the query without pushdown",
    );
  }
}

/** An option of the node server out of range. */
export class NodeServerOptionError extends M3tsError {
  constructor(option: string, why: string) {
    super("M3TS_ERR_NODE_SERVER_OPTION", `node server option ${option}: ${why}`);
  }
}
