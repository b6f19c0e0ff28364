// A real Prometheus (Debian package `prometheus`) against `m3ts start`: it
// scrapes a target served here and remote-writes to m3ts; then a second,
// empty Prometheus answers a query through remote read alone, and the values
// must be exactly those the target exposed. Loopback only; the test stops
// what it started.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { XorChunkIterator } from "../../src/codec/index.js";
import { ensureDebianPackages } from "../support/debian-packages.js";
import { type M3tsProcess, startM3ts, stopChild } from "../support/processes.js";
import { startPrometheus, until } from "../support/prometheus.js";
import { type ReadSeries, remoteRead, streamedRead } from "../support/remote-read-client.js";

const SCRAPES = 8;
const STALE_NAN_BITS = 0x7ff0000000000002n;

/** The values of a series that are not staleness markers (told apart by their bits). */
function samplesOf(s: ReadSeries): { timesMs: number[]; values: number[] } {
  const keep = s.valueBits.map((b) => b !== STALE_NAN_BITS);
  return {
    timesMs: s.timesMs.filter((_, i) => keep[i]),
    values: s.values.filter((_, i) => keep[i]),
  };
}

/** Every sample of a series' chunks as `time:bits`, so NaN payloads compare exactly. */
function decodeChunks(chunks: Uint8Array[]): string[] {
  const it = new XorChunkIterator();
  const view = new DataView(new ArrayBuffer(8));
  const out: string[] = [];
  for (const c of chunks) {
    it.reset(c);
    while (it.next()) {
      view.setFloat64(0, it.value);
      out.push(`${it.timeMs}:${view.getBigUint64(0).toString(16)}`);
    }
  }
  return out;
}

test("Prometheus remote-writes to m3ts and reads back what only m3ts holds", {
  timeout: 300_000,
}, async (t) => {
  ensureDebianPackages(["prometheus"]);
  const dir = mkdtempSync(join(tmpdir(), "m3ts-prom-e2e-"));
  const served: number[] = [];
  let value = 1000;
  const target: Server = createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    // Distinct, non-round values so a mix-up cannot pass by accident.
    value += 1.25;
    served.push(value);
    res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" });
    res.end(`# TYPE e2e_probe_value gauge\ne2e_probe_value{kind="a"} ${value}\n`);
  });
  await new Promise<void>((r) => target.listen(0, "127.0.0.1", () => r()));
  const targetPort = (target.address() as { port: number }).port;
  let m3ts: M3tsProcess | null = null;
  const started: ChildProcess[] = [];
  try {
    m3ts = await startM3ts(join(dir, "m3ts"));
    const remote = [
      "remote_write:",
      `  - url: ${m3ts.base}/api/v1/prom/remote/write`,
      "    queue_config:",
      "      batch_send_deadline: 500ms",
      "      min_backoff: 50ms",
      "      max_backoff: 1s",
      "remote_read:",
      `  - url: ${m3ts.base}/api/v1/read`,
      "    read_recent: true",
    ].join("\n");
    const scraper = await startPrometheus(
      join(dir, "scraper"),
      [
        "global:",
        "  scrape_interval: 1s",
        "scrape_configs:",
        "  - job_name: probe",
        "    static_configs:",
        `      - targets: ["127.0.0.1:${targetPort}"]`,
        remote,
      ].join("\n"),
    );
    started.push(scraper.child);
    const m3tsBase = m3ts.base;
    const stored = async () => {
      const [series] = await remoteRead(`${m3tsBase}/api/v1/read`, [
        {
          startMs: Date.now() - 3_600_000,
          endMs: Date.now() + 60_000,
          matchers: [{ type: "=", name: "__name__", value: "e2e_probe_value" }],
        },
      ]);
      return series;
    };
    await until(`${SCRAPES} scrapes stored in m3ts`, 120_000, async () => {
      const series = await stored();
      return series.length === 1 && samplesOf(series[0]).values.length >= SCRAPES;
    });
    // Stop the target, then wait for everything it served to reach m3ts.
    await new Promise<void>((r) => {
      target.close(() => r());
      target.closeAllConnections();
    });
    const exposed = [...served];
    await until("every served value stored in m3ts", 60_000, async () => {
      const series = await stored();
      return series.length === 1 && samplesOf(series[0]).values.length === exposed.length;
    });
    const [inM3ts] = await stored();
    assert.equal(inM3ts.labels.job, "probe");
    assert.equal(inM3ts.labels.kind, "a");
    assert.deepEqual(samplesOf(inM3ts).values, exposed);

    // Prometheus's own streamed answer for the same series: its XOR chunks
    // must decode to the same samples as m3ts's, and where both cut one
    // chunk of the same samples, the bytes must be the same.
    const query = {
      startMs: Date.now() - 3_600_000,
      endMs: Date.now() + 60_000,
      matchers: [{ type: "=" as const, name: "__name__", value: "e2e_probe_value" }],
    };
    const fromPrometheus = await streamedRead(`${scraper.base}/api/v1/read`, query);
    const fromM3ts = await streamedRead(`${m3ts.base}/api/v1/read`, query);
    assert.equal(fromPrometheus.length, 1);
    assert.equal(fromM3ts.length, 1);
    assert.deepEqual(fromM3ts[0].labels, fromPrometheus[0].labels);
    assert.deepEqual(decodeChunks(fromM3ts[0].chunks), decodeChunks(fromPrometheus[0].chunks));
    if (fromPrometheus[0].chunks.length === 1 && fromM3ts[0].chunks.length === 1) {
      // Prometheus 2.x sometimes ends a chunk with one spare zero byte (3.x does not): ignore it.
      let theirs = fromPrometheus[0].chunks[0];
      const ours = fromM3ts[0].chunks[0];
      if (theirs.length === ours.length + 1 && theirs[theirs.length - 1] === 0)
        theirs = theirs.subarray(0, -1);
      assert.deepEqual(ours, theirs, "XOR chunk bytes");
      t.diagnostic("m3ts's XOR chunk is byte-identical to Prometheus's");
    }
    assert.equal(await stopChild(scraper.child, "SIGTERM", 30_000), 0);

    // A Prometheus with an empty TSDB and no scrape jobs: only m3ts holds the data.
    const reader = await startPrometheus(
      join(dir, "reader"),
      ["global:", "  scrape_interval: 1s", remote].join("\n"),
    );
    started.push(reader.child);
    const url = `${reader.base}/api/v1/query?query=${encodeURIComponent('e2e_probe_value{kind="a"}[1h]')}&time=${Date.now() / 1000}`;
    const res = await fetch(url);
    const body = (await res.json()) as {
      status: string;
      data: {
        resultType: string;
        result: { metric: Record<string, string>; values: [number, string][] }[];
      };
    };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.data.resultType, "matrix");
    assert.equal(body.data.result.length, 1, JSON.stringify(body.data.result));
    const got = body.data.result[0].values.map(([, v]) => Number(v));
    assert.deepEqual(got, exposed, "values read through Prometheus from m3ts");
    const times = body.data.result[0].values.map(([ts]) => ts * 1000);
    assert.deepEqual(times, samplesOf(inM3ts).timesMs);
    t.diagnostic(`${exposed.length} scraped values round-tripped through m3ts`);
  } finally {
    for (const child of started) await stopChild(child, "SIGTERM", 30_000);
    if (m3ts !== null) await stopChild(m3ts.child, "SIGTERM", 30_000);
    target.closeAllConnections();
    target.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
