// The shard a series ID maps to: murmur3 of the ID's bytes modulo the shard
// count, as M3's sharding does (src/dbnode/sharding/shardset.go).
import { M3tsError } from "./errors.js";
import { murmur3_32 } from "./murmur3.js";

/** A shard count or hash seed that cannot shard anything. */
export class InvalidShardingError extends M3tsError {
  readonly field: "numShards" | "seed";
  readonly value: number;

  constructor(field: "numShards" | "seed", value: number, allowed: string) {
    super("M3TS_ERR_INVALID_SHARDING", `${field} ${value} is invalid: it must be ${allowed}`);
    this.field = field;
    this.value = value;
  }
}

/** The shard of a series ID: murmur3_32(id, seed) % numShards, as M3's sharding does. */
export function shardOf(id: Uint8Array, numShards: number, seed = 0): number {
  if (!(Number.isInteger(numShards) && numShards >= 1 && numShards <= 0xffffffff)) {
    throw new InvalidShardingError("numShards", numShards, "an integer in 1..4294967295");
  }
  if (!(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff)) {
    throw new InvalidShardingError("seed", seed, "an unsigned 32-bit integer");
  }
  return murmur3_32(id, seed) % numShards;
}
