// How fast a read takes one series' block out of m3ts-format volumes: the
// frame read and its crc32, zstd and the packed decode of every point, as a
// query reading that series pays them (the page cache warm: this measures
// the CPU, not the disk), every volume opened afresh for each pass so that
// nothing read before is cached. Two orders: random, where the reader's frame cache
// almost never holds the frame (the cost of one series alone); and ID order,
// as a query over all the series of a metric reads them, frames shared by
// neighbours decompressed once.
import { MultiStreamIterator, type SeriesData } from "../src/codec/index.js";
import {
  type DataVolume,
  type DataVolumeFormat,
  FileHandlePool,
  listDataVolumes,
  openDataVolume,
} from "../src/dbnode/fs/index.js";
import { nodeFileSystem, seededRandom } from "../src/x/index.js";

export interface DecodeRates {
  /** Points per second reading series in random order. */
  randomDps: number;
  /** Points per second reading series in ID order. */
  sequentialDps: number;
  points: number;
  series: number;
  volumes: number;
}

/** Times reads of every series of every volume of `format` of `namespace` under `dataDir`, each order `rounds` times (best kept). */
export async function v2DecodeRates(
  dataDir: string,
  namespace: string,
  rounds = 3,
  format: DataVolumeFormat = "m3ts",
  blockSizeMs = 2 * 3_600_000,
): Promise<DecodeRates> {
  const listed = (await listDataVolumes(dataDir, nodeFileSystem, () => blockSizeMs)).filter(
    (v) => v.complete && v.format === format && v.namespace === namespace,
  );
  const pool = new FileHandlePool(64, nodeFileSystem);
  // Fresh readers for every pass, so no frame or chunk is cached from before:
  // a read pays what a read of that series pays the first time.
  const openAll = async () => {
    const out: { reader: DataVolume; ids: Uint8Array[] }[] = [];
    for (const v of listed) {
      const reader = await openDataVolume(dataDir, v, pool);
      const ids: Uint8Array[] = [];
      for await (const s of reader.series()) ids.push(s.id);
      out.push({ reader, ids });
    }
    return out;
  };
  let volumes = await openAll();
  const it = new MultiStreamIterator();
  const one: SeriesData[] = [];
  const readAll = async (order: { v: number; s: number }[]) => {
    for (const v of volumes) await v.reader.close();
    volumes = await openAll();
    let points = 0;
    const t0 = performance.now();
    for (const { v, s } of order) {
      const { reader, ids } = volumes[v];
      const data = await reader.read(ids[s]);
      if (data === null) throw new Error(`series ${s} of volume ${v} not found`);
      one[0] = data;
      it.reset(one);
      while (it.next()) points++;
      if (it.error !== null) throw it.error;
    }
    return { points, seconds: (performance.now() - t0) / 1000 };
  };
  const sequential: { v: number; s: number }[] = [];
  for (let v = 0; v < volumes.length; v++) {
    for (let s = 0; s < volumes[v].ids.length; s++) sequential.push({ v, s });
  }
  const random = [...sequential];
  const rng = seededRandom(16);
  for (let i = random.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [random[i], random[j]] = [random[j], random[i]];
  }
  let best = { random: 0, sequential: 0, points: 0 };
  for (let r = 0; r < rounds; r++) {
    const a = await readAll(random);
    const b = await readAll(sequential);
    best = {
      random: Math.max(best.random, a.points / a.seconds),
      sequential: Math.max(best.sequential, b.points / b.seconds),
      points: a.points,
    };
  }
  for (const v of volumes) await v.reader.close();
  await pool.close();
  return {
    randomDps: best.random,
    sequentialDps: best.sequential,
    points: best.points,
    series: sequential.length,
    volumes: volumes.length,
  };
}
