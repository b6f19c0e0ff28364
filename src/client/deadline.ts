// A node call bounded by its deadline on the client's side too: a transport
// that hangs past the deadline it was given still frees the caller, with the
// same error as a node that could not be reached.

import { M3tsError } from "../x/index.js";
import { NodeUnavailableError } from "./transport.js";

/** `call`'s answer, or NodeUnavailableError once `deadlineMs` (wall clock) passes first. */
export function withDeadline<T>(
  endpoint: string,
  deadlineMs: number,
  nowMs: number,
  call: () => Promise<T>,
): Promise<T> {
  const leftMs = deadlineMs - nowMs;
  if (leftMs <= 0) {
    return Promise.reject(
      new NodeUnavailableError(endpoint, "the deadline passed before the call"),
    );
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new NodeUnavailableError(endpoint, `no answer within ${leftMs} ms`));
    }, leftMs);
    let p: Promise<T>;
    try {
      p = call();
    } catch (e) {
      clearTimeout(timer);
      reject(e);
      return;
    }
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** Any thrown value as an M3tsError, so replica errors stay typed (a plain Error becomes unavailable). */
export function asM3tsError(endpoint: string, e: unknown): M3tsError {
  if (e instanceof M3tsError) return e;
  return new NodeUnavailableError(endpoint, e instanceof Error ? e.message : String(e));
}
