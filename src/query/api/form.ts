// A request's parameters as Go's http.Request.Form holds them: the
// form-encoded POST body first, then the URL's query string. The body is
// read only for application/x-www-form-urlencoded and is bounded.

import type { IncomingMessage } from "node:http";
import { QueryError } from "../errors.js";

/** A form body over the API's bound: 413 bad_data. */
export class FormTooLargeError extends QueryError {
  constructor(maxBytes: number) {
    super(
      "bad_data",
      413,
      `request body is larger than the ${maxBytes} bytes a form-encoded query may have`,
      "M3TS_ERR_BODY_TOO_LARGE",
    );
  }
}

/** Parameters by name, each with every value given, body values before query-string ones. */
export class Form {
  private readonly values: Map<string, string[]>;

  constructor(values: Map<string, string[]>) {
    this.values = values;
  }

  /** The first value of `name`, or null when absent (Go's FormValue gives "" then). */
  get(name: string): string | null {
    return this.values.get(name)?.[0] ?? null;
  }

  /** Every value of `name` (`match[]` repeats). */
  all(name: string): string[] {
    return this.values.get(name) ?? [];
  }
}

function addAll(into: Map<string, string[]>, text: string): void {
  for (const [k, v] of new URLSearchParams(text)) {
    const list = into.get(k);
    if (list === undefined) into.set(k, [v]);
    else list.push(v);
  }
}

/** Reads the request's form: the URL's parameters and, for a form-encoded POST, its body. */
export async function readForm(req: IncomingMessage, maxBodyBytes: number): Promise<Form> {
  const values = new Map<string, string[]>();
  const type = String(req.headers["content-type"] ?? "")
    .split(";")[0]
    .trim()
    .toLowerCase();
  if (req.method === "POST" && type === "application/x-www-form-urlencoded") {
    const declared = Number(req.headers["content-length"] ?? -1);
    if (declared > maxBodyBytes) {
      req.resume();
      throw new FormTooLargeError(maxBodyBytes);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBodyBytes) {
        req.resume();
        throw new FormTooLargeError(maxBodyBytes);
      }
      chunks.push(chunk);
    }
    addAll(values, Buffer.concat(chunks, size).toString("utf8"));
  } else {
    req.resume();
  }
  const url = req.url ?? "";
  const q = url.indexOf("?");
  if (q >= 0) addAll(values, url.slice(q + 1));
  return new Form(values);
}
