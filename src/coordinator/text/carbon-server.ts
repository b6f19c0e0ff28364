// Graphite carbon plaintext ingest on TCP (port 7204): `path value timestamp`
// lines, the path's dot-separated parts as tags __g0__, __g1__, … (as M3's
// src/cmd/services/m3coordinator/ingest/carbon/ingest.go does). Carbon has no
// acknowledgements, so lines are gathered into batches (by count or after a
// short wait) and refusals are counted and logged rather than answered.

import type { AddressInfo } from "node:net";
import { createServer, type Server, type Socket } from "node:net";
import type { Client } from "../../client/index.js";
import type { Logger } from "../../x/index.js";
import type { CoordinatorMetrics } from "../metrics.js";
import { CarbonLineSplitter, parseCarbonLine } from "./carbon-line.js";
import type { ParsedSample } from "./parsed-sample.js";
import { writeSamples } from "./sample-writer.js";

const BATCH_SAMPLES = 4096;
const BATCH_WAIT_MS = 20;

export interface CarbonOptions {
  client: Client;
  namespace: string;
  metrics: CoordinatorMetrics;
  logger: Logger;
  host: string;
  port: number;
  maxLineBytes: number;
  now?: () => number;
}

export class CarbonServer {
  private readonly server: Server;
  private readonly options: CarbonOptions;
  private readonly sockets = new Set<Socket>();
  private batch: ParsedSample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();

  private constructor(options: CarbonOptions) {
    this.options = options;
    this.server = createServer((socket) => this.accept(socket));
  }

  static async start(options: CarbonOptions): Promise<CarbonServer> {
    const s = new CarbonServer(options);
    await new Promise<void>((resolve, reject) => {
      s.server.once("error", reject);
      s.server.listen(options.port, options.host, () => {
        s.server.off("error", reject);
        resolve();
      });
    });
    return s;
  }

  get address(): { host: string; port: number } {
    const a = this.server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  /** Stops accepting, reads what connected senders already sent, writes it, and resolves. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.end();
    await closed;
    this.flush();
    await this.writing;
  }

  /** Resolves once every line received so far has been written (or refused). */
  async drain(): Promise<void> {
    this.flush();
    await this.writing;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    const splitter = new CarbonLineSplitter({ maxLineBytes: this.options.maxLineBytes });
    const now = this.options.now ?? Date.now;
    const onLine = (line: string) => {
      if (line.trim() === "") return;
      const parsed = parseCarbonLine(line, now());
      if ("reason" in parsed) {
        this.options.metrics.samplesRejected.inc({
          protocol: "carbon",
          reason: "M3TS_ERR_CARBON_LINE",
        });
        this.options.logger.debug(
          { line: line.slice(0, 200), reason: parsed.reason },
          "carbon line refused",
        );
        return;
      }
      this.add(parsed.sample);
    };
    socket.on("data", (chunk: Buffer) => splitter.push(chunk, onLine));
    socket.on("end", () => splitter.end(onLine));
    socket.on("error", () => {});
    socket.on("close", () => {
      this.sockets.delete(socket);
      if (splitter.droppedNonUtf8Lines > 0) {
        this.options.metrics.samplesRejected.inc(
          { protocol: "carbon", reason: "M3TS_ERR_CARBON_LINE_NOT_UTF8" },
          splitter.droppedNonUtf8Lines,
        );
      }
      if (splitter.droppedLongLines > 0) {
        this.options.metrics.samplesRejected.inc(
          { protocol: "carbon", reason: "M3TS_ERR_CARBON_LINE_TOO_LONG" },
          splitter.droppedLongLines,
        );
      }
    });
  }

  private add(sample: ParsedSample): void {
    this.batch.push(sample);
    if (this.batch.length >= BATCH_SAMPLES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), BATCH_WAIT_MS);
  }

  private flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    const { client, namespace, metrics, logger } = this.options;
    this.writing = this.writing.then(async () => {
      try {
        const outcome = await writeSamples(client, namespace, "carbon", batch, metrics);
        if (outcome.firstError !== null) {
          logger.warn(
            { rejected: outcome.rejected, first: outcome.firstError.message },
            "carbon samples refused",
          );
        }
      } catch (e) {
        logger.error({ err: e, samples: batch.length }, "carbon write failed");
      }
    });
  }
}
