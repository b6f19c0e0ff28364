// `m3ts verify <data dir>`: checks every fileset volume's checksums, every
// index volume's checksums and segment structure, every snapshot metadata
// file and every commit log's header, prints what is damaged, and says so in
// the exit code.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { listCommitLogFiles } from "../dbnode/commitlog/index.js";
import {
  listIndexVolumes,
  listSnapshotMetadata,
  readIndexVolume,
  verifyDataDir,
} from "../dbnode/fs/index.js";
import { SealedSegment } from "../index/index.js";
import { nodeFileSystem } from "../x/index.js";

/** Checks the data directory `dir`; exits 0 if all is good, 1 if anything is damaged, 2 if no directory. */
export async function verify(dir: string, out: (line: string) => void): Promise<number> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    out(`m3ts verify: ${dir} is not a directory`);
    return 2;
  }
  let damaged = 0;
  let checked = 0;
  for (const r of await verifyDataDir(dir, nodeFileSystem)) {
    const v = r.volume;
    const name =
      v.format === "m3ts"
        ? `${v.kind} ${v.namespace}/${v.shard} span [${v.blockStartMs}, ${v.endMs}) volume ${v.volume} (m3ts)`
        : `${v.kind} ${v.namespace}/${v.shard} block ${v.blockStartMs} volume ${v.volume}`;
    checked++;
    if (r.ok) {
      out(`ok       ${name}`);
    } else {
      damaged++;
      out(`DAMAGED  ${name}: ${r.error}`);
    }
  }
  for (const v of await listIndexVolumes(dir, undefined, nodeFileSystem)) {
    // Incomplete volumes are leftovers of an interrupted write, removed at the next start.
    if (!v.complete) continue;
    checked++;
    const name = `index ${v.namespace} block ${v.blockStartMs} volume ${v.volume}`;
    try {
      const { info, segment } = await readIndexVolume(dir, v, nodeFileSystem);
      const docs = SealedSegment.decode(segment).size;
      if (docs !== info.docs)
        throw new Error(`segment holds ${docs} series, info records ${info.docs}`);
      out(`ok       ${name} (${docs} series)`);
    } catch (err) {
      damaged++;
      out(`DAMAGED  ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const snapshots = await listSnapshotMetadata(dir, nodeFileSystem);
  for (const m of snapshots.complete) {
    checked++;
    out(`ok       snapshot metadata ${m.index} (commit logs from ${m.commitLogIndex})`);
  }
  for (const bad of snapshots.invalid) {
    checked++;
    damaged++;
    out(`DAMAGED  snapshot metadata ${bad.index}: ${bad.reason} (${bad.paths.join(", ")})`);
  }
  const logs = await listCommitLogFiles(join(dir, "commitlogs"), nodeFileSystem);
  for (const file of logs) {
    checked++;
    out(`ok       commit log ${file.path} (index ${file.index})`);
  }
  for (const bad of logs.corrupt) {
    checked++;
    damaged++;
    out(`DAMAGED  commit log ${bad.path}: ${bad.reason}`);
  }
  out(`${checked} checked, ${damaged} damaged`);
  return damaged > 0 ? 1 : 0;
}
