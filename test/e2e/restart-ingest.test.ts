// `m3ts start` killed with SIGKILL while senders write: after each restart
// every acknowledged sample reads back exactly, and a final SIGTERM stops the
// node cleanly (exit 0) with the same guarantee.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { compressSync } from "snappy";
import { encodeWriteRequest } from "../../src/coordinator/index.js";
import { freeLoopbackPort, type M3tsProcess, startM3ts, stopChild } from "../support/processes.js";
import { remoteRead } from "../support/remote-read-client.js";

const KILLS = 4;
const SENDERS = 4;
const SERIES = 40;
const SAMPLES_PER_SERIES = 5;

test("nothing acknowledged is lost when m3ts start is killed during ingest", {
  timeout: 240_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "m3ts-restart-"));
  const port = await freeLoopbackPort();
  const baseMs = Date.now() - 60_000;
  let nextTick = 0;
  let nextValue = 1;
  /** Acknowledged samples by series number: time → value. */
  const acked = Array.from({ length: SERIES }, () => new Map<number, number>());
  let ackedCount = 0;
  let killedRequests = 0;

  const verify = async (node: M3tsProcess) => {
    const [series] = await remoteRead(`${node.base}/api/v1/read`, [
      {
        startMs: baseMs - 1,
        endMs: Date.now() + 120_000,
        matchers: [{ type: "=", name: "__name__", value: "restart_probe" }],
      },
    ]);
    const stored = new Map<number, Map<number, number>>();
    for (const s of series) {
      const m = new Map<number, number>();
      for (let i = 0; i < s.timesMs.length; i++) m.set(s.timesMs[i], s.values[i]);
      stored.set(Number(s.labels.s), m);
    }
    let missing = 0;
    let wrong = 0;
    for (let s = 0; s < SERIES; s++) {
      for (const [t, v] of acked[s]) {
        const got = stored.get(s)?.get(t);
        if (got === undefined) missing++;
        else if (got !== v) wrong++;
      }
    }
    assert.equal(missing, 0, `${missing} acknowledged samples missing after restart`);
    assert.equal(wrong, 0, `${wrong} acknowledged samples read back with another value`);
  };

  const sender = async (node: M3tsProcess, running: { on: boolean }) => {
    while (running.on) {
      const tick = nextTick;
      nextTick += SAMPLES_PER_SERIES;
      const series = Array.from({ length: SERIES }, (_, s) => ({
        labels: [
          ["__name__", "restart_probe"],
          ["s", String(s)],
        ] as [string, string][],
        timesMs: Array.from({ length: SAMPLES_PER_SERIES }, (_, i) => baseMs + tick + i),
        values: Array.from({ length: SAMPLES_PER_SERIES }, () => nextValue++),
      }));
      try {
        const res = await fetch(`${node.base}/api/v1/prom/remote/write`, {
          method: "POST",
          headers: { "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy" },
          body: compressSync(encodeWriteRequest(series)),
        });
        await res.arrayBuffer();
        if (res.status === 204 || res.status === 200) {
          for (let s = 0; s < SERIES; s++) {
            for (let i = 0; i < SAMPLES_PER_SERIES; i++)
              acked[s].set(series[s].timesMs[i], series[s].values[i]);
          }
          ackedCount += SERIES * SAMPLES_PER_SERIES;
        } else {
          assert.fail(`write answered ${res.status}`);
        }
      } catch (e) {
        if (e instanceof assert.AssertionError) throw e;
        killedRequests++; // the node died under this request: not acknowledged
        return;
      }
    }
  };

  try {
    for (let round = 0; round < KILLS; round++) {
      const startedAt = Date.now();
      const node = await startM3ts(dir, { port });
      if (round === 0) {
        assert.match(
          node.log(),
          new RegExp(`m3ts listening: coordinator http://127\\.0\\.0\\.1:${port}`),
        );
        console.log(`empty data directory to ready in ${Date.now() - startedAt} ms`);
      }
      await verify(node);
      const running = { on: true };
      const senders = Array.from({ length: SENDERS }, () => sender(node, running));
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 1200));
      await stopChild(node.child, "SIGKILL", 0);
      running.on = false;
      await Promise.all(senders);
    }
    const node = await startM3ts(dir, { port });
    await verify(node);
    assert.ok(ackedCount > 0, "the senders got no acknowledgement at all");
    const code = await stopChild(node.child, "SIGTERM", 20_000);
    assert.equal(code, 0, `SIGTERM should stop m3ts with exit 0\n${node.log().slice(-2000)}`);
    const after = await startM3ts(dir, { port });
    await verify(after);
    assert.equal(await stopChild(after.child, "SIGTERM", 20_000), 0);
    console.log(
      `acked ${ackedCount} samples over ${KILLS} kills; ${killedRequests} requests cut by a kill`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
