// Where m3ts's bytes go inside its data directory: the m3ts-format data
// volumes split by section (the samples' frames, the series metadata, the
// lookup directory, headers and footers, each file's size as listed), M3-format
// volumes by file (data: samples; index, summaries, bloom filter: series
// metadata; info, digest, checkpoint: the rest), and the index volumes. Apparent
// bytes of the files, without the directories du also counts.
import * as path from "node:path";
import { listPackedVolumes, listVolumes, openPackedVolume } from "../src/dbnode/fs/index.js";
import { nodeFileSystem } from "../src/x/index.js";
import { treeBytes } from "./external-tools.js";

export interface M3tsSplit {
  /** Samples: m3ts frames, M3's data files. */
  streams: number;
  /** Series IDs and tags: m3ts metadata sections, M3's index, summaries and bloom filter files. */
  series_metadata: number;
  /** Lookup directories, headers and footers, M3's info, digest and checkpoint files. */
  volume_framing: number;
  /** Index volumes (the label index on disk). */
  index: number;
  /** Data volumes of each format. */
  m3ts_volumes: number;
  m3_volumes: number;
}

export async function m3tsDataSplit(dataDir: string): Promise<M3tsSplit> {
  const out: M3tsSplit = {
    streams: 0,
    series_metadata: 0,
    volume_framing: 0,
    index: treeBytes(path.join(dataDir, "index")),
    m3ts_volumes: 0,
    m3_volumes: 0,
  };
  for (const v of await listPackedVolumes(dataDir, undefined, undefined, nodeFileSystem)) {
    if (!v.complete) continue;
    const reader = await openPackedVolume(dataDir, v, nodeFileSystem);
    const s = reader.sections();
    await reader.close();
    out.streams += s.frames;
    out.series_metadata += s.metadata;
    out.volume_framing += s.directory + s.header + s.footer;
    out.m3ts_volumes++;
  }
  for (const v of await listVolumes(dataDir, "data", undefined, undefined, nodeFileSystem)) {
    if (!v.complete) continue;
    out.m3_volumes++;
    for (const p of v.paths) {
      const size = treeBytes(p);
      if (p.endsWith("-data.db")) out.streams += size;
      else if (/-(index|summaries|bloomfilter)\.db$/.test(p)) out.series_metadata += size;
      else out.volume_framing += size;
    }
  }
  return out;
}
