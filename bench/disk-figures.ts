// What a store spent on disk for a set of samples, and the `storage.<store>.*`
// lines the disk benchmarks print it as.

/** What one store spent on disk for the samples, and how long the ingest took. */
export interface DiskFigures {
  /** Bytes counted as the store's data (see each function for what is included). */
  bytes: number;
  datapoints: number;
  /** Wall time of the ingest step, in seconds. */
  seconds: number;
  /** Every measured part, in bytes, by name (blocks, directories). */
  parts: Record<string, number>;
  /** Other timings of the run, in seconds, by step. */
  stepSeconds: Record<string, number>;
  /** Counts of the measured layout (blocks, parts), by name. */
  counts: Record<string, number>;
  /** The whole data directory, everything the store keeps, as du counts it. */
  whole?: { apparentBytes: number; allocatedBytes: number };
  /** du of each top-level entry of the data directory, by name. */
  wholeParts?: Record<string, { apparentBytes: number; allocatedBytes: number }>;
}

/** Prints one store's figures as `storage.<store>.*` lines: bytes per datapoint, then the details. */
export function printDiskFigures(store: string, f: DiskFigures): void {
  console.log(`storage.${store}.disk_bytes_per_dp ${(f.bytes / f.datapoints).toFixed(3)} bytes`);
  console.log(`storage.${store}.import_s ${f.seconds.toFixed(1)} s`);
  console.log(`storage.${store}.datapoints ${f.datapoints} dp`);
  for (const [part, bytes] of Object.entries(f.parts)) {
    console.log(`storage.${store}.part.${part}_bytes ${bytes} bytes`);
  }
  for (const [name, n] of Object.entries(f.counts)) {
    console.log(`storage.${store}.${name} ${n} ${unitOfCount(name)}`);
  }
  for (const [step, seconds] of Object.entries(f.stepSeconds)) {
    console.log(`storage.${store}.step.${step}_s ${seconds.toFixed(1)} s`);
  }
}

/** Prints a whole data directory's du figures per datapoint as `<prefix>.disk_bytes_per_dp` and `<prefix>.allocated_bytes_per_dp`. */
export function printWholeDir(
  prefix: string,
  whole: { apparentBytes: number; allocatedBytes: number },
  datapoints: number,
): void {
  console.log(`${prefix}.disk_bytes_per_dp ${(whole.apparentBytes / datapoints).toFixed(3)} bytes`);
  console.log(
    `${prefix}.allocated_bytes_per_dp ${(whole.allocatedBytes / datapoints).toFixed(3)} bytes`,
  );
  console.log(`${prefix}.disk_bytes ${whole.apparentBytes} bytes`);
  console.log(`${prefix}.allocated_bytes ${whole.allocatedBytes} bytes`);
}

/** The unit of a DiskFigures count: most are counts, a few (peak memory) are bytes. */
export function unitOfCount(name: string): string {
  return name.endsWith("_bytes") ? "bytes" : "count";
}
