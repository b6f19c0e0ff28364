// Typed errors of the fileset module: a volume that fails validation, a
// volume that is not there, a failed write, and bad input to the writer.
import { M3tsError } from "../../x/index.js";

/** Names a volume in messages: `<kind>/<namespace>/<shard>/<blockStartMs>-<volume>`. */
export interface VolumeName {
  namespace: string;
  shard: number;
  blockStartMs: number;
  volume: number;
}

export function volumeLabel(v: VolumeName): string {
  return `${v.namespace}/${v.shard}/${v.blockStartMs}-${v.volume}`;
}

/** A volume's file failed a check (checksum, length, magic, bounds): it is never served. */
export class VolumeCorruptError extends M3tsError {
  readonly volume: VolumeName;
  /** The file type that failed: info, index, summaries, bloomfilter, data, digest or checkpoint. */
  readonly file: string;
  readonly reason: string;

  constructor(volume: VolumeName, file: string, reason: string) {
    super(
      "M3TS_ERR_VOLUME_CORRUPT",
      `fileset volume ${volumeLabel(volume)} is corrupt: ${file} file: ${reason}`,
    );
    this.volume = { ...volume };
    this.file = file;
    this.reason = reason;
  }
}

/** The volume has no checkpoint file: it was never completed (or was removed). */
export class VolumeMissingError extends M3tsError {
  readonly volume: VolumeName;
  readonly path: string;

  constructor(volume: VolumeName, path: string) {
    super(
      "M3TS_ERR_VOLUME_MISSING",
      `fileset volume ${volumeLabel(volume)} is not complete: no checkpoint file at ${path}`,
    );
    this.volume = { ...volume };
    this.path = path;
  }
}

/** A read or entries() call on a VolumeReader after close(). */
export class VolumeClosedError extends M3tsError {
  readonly volume: VolumeName;

  constructor(volume: VolumeName) {
    super(
      "M3TS_ERR_VOLUME_CLOSED",
      `fileset volume ${volumeLabel(volume)} reader is closed; open the volume again`,
    );
    this.volume = { ...volume };
  }
}

/** The file operation that failed while writing or removing a volume. */
export type VolumeWriteOp = "mkdir" | "open" | "write" | "sync" | "close" | "rename" | "unlink";

/** A file operation failed while writing or removing a volume; no complete volume was left. */
export class VolumeWriteError extends M3tsError {
  readonly path: string;
  readonly op: VolumeWriteOp;
  /** The OS error code (`ENOSPC`, `EACCES`, ...) or "" when there is none. */
  readonly osCode: string;
  override readonly cause: unknown;

  constructor(path: string, op: VolumeWriteOp, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super("M3TS_ERR_VOLUME_WRITE", `fileset ${op} failed on ${path}: ${reason}`);
    this.path = path;
    this.op = op;
    this.osCode = osCodeOf(cause);
    this.cause = cause;
  }
}

/** Two entries given to writeVolume carry the same series ID. */
export class DuplicateSeriesIdError extends M3tsError {
  readonly volume: VolumeName;
  /** The duplicated ID, as hex. */
  readonly idHex: string;

  constructor(volume: VolumeName, id: Uint8Array) {
    const idHex = Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString("hex");
    super(
      "M3TS_ERR_VOLUME_DUPLICATE_ID",
      `fileset volume ${volumeLabel(volume)}: series ID ${JSON.stringify(
        Buffer.from(id).toString("utf8"),
      )} (hex ${idHex}) was given twice; each series appears once per volume`,
    );
    this.volume = { ...volume };
    this.idHex = idHex;
  }
}

/** A volume ID, entry or writer option is out of range. */
export class InvalidVolumeInputError extends M3tsError {
  readonly field: string;

  constructor(field: string, message: string) {
    super("M3TS_ERR_VOLUME_INPUT", `fileset: invalid ${field}: ${message}`);
    this.field = field;
  }
}

export function osCodeOf(cause: unknown): string {
  if (typeof cause === "object" && cause !== null && "code" in cause) {
    const code = (cause as { code: unknown }).code;
    if (typeof code === "string") return code;
  }
  return "";
}
