// The database's lifecycle, shared by its parts: bootstrapping, then
// bootstrapped (or failed), then closed; and fail-stop, after which the node
// takes no more writes or namespace changes until it is restarted.
import type { Logger } from "../../x/index.js";
import { type BootstrapProgress, newBootstrapProgress } from "../bootstrap/index.js";
import type { CommitLogWriteError } from "../commitlog/index.js";
import { BootstrappingError, NodeFailedError, NodeStoppingError } from "./errors.js";
import type { StorageMetrics } from "./metrics.js";
import { RegistryUncertainError } from "./namespace-registry.js";
import type { Persistence } from "./persistence.js";

export class Lifecycle {
  /** Bootstrap state and counts; reads and writes wait for state "bootstrapped". */
  readonly progress: BootstrapProgress = newBootstrapProgress();
  /** Set when close is called: no write, flush or snapshot starts after. */
  closed = false;
  /** Set once the commit log or the registry failed: the node takes no more writes (fail-stop). */
  failure: string | null = null;
  /** The data directory's open state, set once when bootstrap ends; null for a database in memory. */
  persistence: Persistence | null = null;
  private readonly metrics: StorageMetrics;
  private readonly logger: Logger;

  constructor(metrics: StorageMetrics, logger: Logger) {
    this.metrics = metrics;
    this.logger = logger;
    this.metrics.setBootstrapState("bootstrapping");
  }

  /**
   * The persistence while its commit log is open, from the end of bootstrap
   * until close has closed the log; null before, after, and in memory.
   */
  get withOpenLog(): Persistence | null {
    const p = this.persistence;
    return p?.logOpen ? p : null;
  }

  get isBootstrapped(): boolean {
    return this.progress.state === "bootstrapped";
  }

  /** Refuses writes while the node cannot make them durable. */
  checkWritable(what: string): void {
    if (this.failure !== null) throw new NodeFailedError(what, this.failure);
    if (this.closed) throw new NodeStoppingError(what);
    if (this.progress.state !== "bootstrapped") throw new BootstrappingError(what);
  }

  /** Bootstrap has finished: reads and writes may start. */
  bootstrapDone(): void {
    const progress = this.progress;
    progress.state = "bootstrapped";
    this.metrics.setBootstrapState("bootstrapped");
    this.logger.info(
      {
        files: progress.filesTotal,
        datapointsReplayed: progress.datapointsReplayed,
        datapointsSkipped: progress.datapointsSkipped,
        skippedBytes: progress.skippedBytes,
      },
      "bootstrapped",
    );
  }

  /** Bootstrap failed with `e`: the node serves nothing and says why. */
  bootstrapFailed(e: unknown): void {
    this.progress.state = "failed";
    this.metrics.setBootstrapState("failed");
    this.progress.error = e instanceof Error ? e.message : String(e);
    this.logger.error({ err: this.progress.error }, "bootstrap failed");
  }

  /**
   * Stops taking writes after the commit log failed: a failed write or sync
   * may have lost data the kernel had, so nothing is acknowledged again
   * until a restart replays what the disk holds (fail-stop; never retry a
   * failed fsync as if the data were safe).
   */
  failStop(err: CommitLogWriteError | RegistryUncertainError): void {
    if (this.failure !== null) return;
    this.metrics.setBootstrapState("failed");
    if (err instanceof RegistryUncertainError) {
      this.failure = `its namespace registry could not be saved (${err.message})`;
      this.logger.error(
        { err: err.message, path: err.path },
        "namespace registry save failed: the node takes no more writes and reports not ready; " +
          "fix the I/O error, then restart it and check the namespaces it lists",
      );
      return;
    }
    this.failure = `its commit log failed (${err.message})`;
    this.logger.error(
      { err: err.message, path: err.path, op: err.op, osCode: err.osCode },
      "commit log failed: the node takes no more writes and reports not ready; " +
        "free disk space or fix the I/O error, then restart it to replay the commit log",
    );
  }
}
