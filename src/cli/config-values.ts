// The values of the configuration that are written as text: byte sizes,
// Go-style durations and listen addresses, each parsed and bounded.
import { formatDurationMs, InvalidDurationError, parseDurationMs } from "../x/index.js";
import { ConfigError } from "./config-error.js";

/** Where a listener binds; the defaults are loopback, anything else is written explicitly. */
export interface ListenAddress {
  host: string;
  port: number;
}

export const MiB = 1 << 20;
export const GiB = 1 << 30;

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KiB: 1024,
  MiB: MiB,
  GiB: GiB,
};

/** A byte size from 1 to `max`: an integer, or a number with B, KB, MB, GB, KiB, MiB or GiB. */
export function parseSize(value: unknown, key: string, max = Number.MAX_SAFE_INTEGER): number {
  const expected = `a size in bytes from 1 to ${max}: an integer or a number with a unit (B, KB, MB, GB, KiB, MiB, GiB), e.g. "32MiB"`;
  let bytes = Number.NaN;
  if (typeof value === "number") {
    bytes = value;
  } else if (typeof value === "string" && value.length <= 64) {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(value);
    const unit = m === null || !Object.hasOwn(SIZE_UNITS, m[2]) ? undefined : SIZE_UNITS[m[2]];
    if (m !== null && unit !== undefined) bytes = Number(m[1]) * unit;
  }
  // A fraction of a byte ("1.5B") is refused rather than rounded.
  if (!(Number.isSafeInteger(bytes) && bytes >= 1 && bytes <= max)) {
    throw new ConfigError(key, value, expected);
  }
  return bytes;
}

/** A Go-style duration in whole milliseconds, at least `min` and at most `max`. */
export function parseDuration(
  value: unknown,
  key: string,
  min = 0,
  max = Number.POSITIVE_INFINITY,
): number {
  const bounds =
    max === Number.POSITIVE_INFINITY
      ? `of at least ${formatDurationMs(min)}`
      : `from ${formatDurationMs(min)} to ${formatDurationMs(max)}`;
  const expected = `a duration ${bounds} such as "10s", "2h" or "1h30m"`;
  if (typeof value !== "string") throw new ConfigError(key, value, expected);
  let ms: number;
  try {
    ms = parseDurationMs(value);
  } catch (e) {
    if (e instanceof InvalidDurationError) throw new ConfigError(key, value, expected);
    throw e;
  }
  if (ms < min || ms > max) throw new ConfigError(key, value, expected);
  return ms;
}

/** `host:port` or `[v6]:port`, port 1..65535. */
export function parseAddress(value: unknown, key: string): ListenAddress {
  const expected = 'host:port, e.g. "127.0.0.1:7201" or "[::1]:7201", with a port from 1 to 65535';
  if (typeof value !== "string") throw new ConfigError(key, value, expected);
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(value.trim());
  if (m === null) throw new ConfigError(key, value, expected);
  const port = Number(m[3]);
  if (!(port >= 1 && port <= 65535)) throw new ConfigError(key, value, expected);
  return { host: m[1] ?? m[2], port };
}
