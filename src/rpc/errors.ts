// The node RPC's own failure: bytes that are not the message they claim to
// be, or a value that the message cannot carry.
import { M3tsError } from "../x/index.js";

/** A node RPC message that cannot be encoded or decoded; names the message and what was wrong. */
export class RpcMessageError extends M3tsError {
  readonly messageName: string;

  constructor(messageName: string, what: string) {
    super("M3TS_ERR_RPC_MESSAGE", `node RPC message ${messageName}: ${what}`);
    this.messageName = messageName;
  }
}
