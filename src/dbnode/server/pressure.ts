// The server's bound on work in flight: calls being served and the request
// and response bytes they hold. A call past either is refused at once
// (RESOURCE_EXHAUSTED), never queued, so a node under pressure sheds load
// and its callers back off and retry elsewhere.
import { ServerOverloadedError } from "./errors.js";

export class InFlightGate {
  private readonly maxCalls: number;
  private readonly maxBytes: number;
  calls = 0;
  bytes = 0;

  constructor(maxCallsInFlight: number, maxBytesInFlight: number) {
    this.maxCalls = maxCallsInFlight;
    this.maxBytes = maxBytesInFlight;
  }

  /** Admits a call holding `requestBytes`, or returns why it is refused. */
  admit(requestBytes: number): ServerOverloadedError | null {
    if (this.calls >= this.maxCalls) {
      return new ServerOverloadedError(
        `${this.calls} calls in flight, the bound maxCallsInFlight is ${this.maxCalls}`,
      );
    }
    // A lone call larger than the bound still runs: refusing it would refuse it forever.
    if (this.calls > 0 && this.bytes + requestBytes > this.maxBytes) {
      return this.bytesRefusal(requestBytes);
    }
    this.calls++;
    this.bytes += requestBytes;
    return null;
  }

  /** Takes `n` more bytes for an admitted call; throws past the bound. */
  hold(n: number): void {
    if (this.bytes + n > this.maxBytes && this.calls > 1) throw this.bytesRefusal(n);
    this.bytes += n;
  }

  /** Ends an admitted call that held `bytes` in all. */
  release(bytes: number): void {
    this.calls--;
    this.bytes -= bytes;
  }

  private bytesRefusal(n: number): ServerOverloadedError {
    return new ServerOverloadedError(
      `${this.bytes} bytes in flight and ${n} more asked, the bound maxBytesInFlight is ${this.maxBytes}`,
    );
  }
}
