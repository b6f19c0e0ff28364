// The model of acknowledged writes that the simulation holds the engine to:
// every datapoint sent, per series and instant, with when it was sent and
// answered; what the model then allows one instant to hold; how a dropped
// namespace and a crash change what it knows; and the check of a namespace
// read back from the engine against it.
import { type Matcher, newMatcher } from "../../src/index/index.js";

/** One write of one datapoint, as the model knows it. */
export interface SentWrite {
  valueBits: string;
  value: number;
  sentAt: number;
  /** Event number of the acknowledgement; -1 while in flight, -2 if indeterminate. */
  ackedAt: number;
  /** Event number when an indeterminate write's call ended. */
  endedAt: number;
}

/** Per series number, per timestamp (ms): every write sent there, in the order sent. */
export type Model = Map<number, Map<number, SentWrite[]>>;

/** A model of `series` series with nothing sent yet. */
export function newModel(series: number): Model {
  const m: Model = new Map();
  for (let s = 0; s < series; s++) m.set(s, new Map());
  return m;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** A value's IEEE-754 bits as 16 hex digits, so NaN payloads and -0 compare exactly. */
export function bitsOf(v: number): string {
  f64[0] = v;
  return `${u32[1].toString(16).padStart(8, "0")}${u32[0].toString(16).padStart(8, "0")}`;
}

/** What the model allows at one instant: values that may be read, and whether one must be. */
export function allowed(list: SentWrite[]): { values: Set<string>; required: boolean } {
  const acked = list.filter((w) => w.ackedAt >= 0);
  const values = new Set<string>();
  // A write is overridden by an acknowledged one sent after it finished.
  const overridden = (w: SentWrite) => {
    const end = w.ackedAt >= 0 ? w.ackedAt : w.endedAt;
    return acked.some((v) => v !== w && v.sentAt > end);
  };
  for (const w of list) if (w.ackedAt !== -1 && !overridden(w)) values.add(w.valueBits);
  return { values, required: acked.length > 0 };
}

/**
 * The namespace was dropped by a drop that started at event `dropStart` and
 * ended at `dropEnd`: writes sent before it started are gone with it and may
 * never reach a later namespace of its name; those acknowledged while it ran
 * may have landed before it, so they are indeterminate.
 */
export function forgetDropped(model: Model, dropStart: number, dropEnd: number): void {
  for (const perTime of model.values()) {
    for (const [t, list] of perTime) {
      const kept = list.filter((w) => w.sentAt > dropStart);
      for (const w of kept) {
        if (w.ackedAt >= 0 && w.ackedAt < dropEnd) {
          w.endedAt = w.ackedAt;
          w.ackedAt = -2;
        }
      }
      if (kept.length === 0) perTime.delete(t);
      else perTime.set(t, kept);
    }
  }
}

/**
 * The process died: writes still in flight never got an answer, so they are
 * indeterminate; `nextEvent` numbers the end of each, in the model's order.
 */
export function markInFlightIndeterminate(model: Model, nextEvent: () => number): void {
  for (const perTime of model.values()) {
    for (const list of perTime.values()) {
      for (const w of list) {
        if (w.ackedAt === -1) {
          w.ackedAt = -2;
          w.endedAt = nextEvent();
        }
      }
    }
  }
}

/** The reads checkNamespace makes of the engine. */
export interface ReadableEngine {
  fetch(
    namespace: string,
    id: string,
    startMs: number,
    endMs: number,
  ): Promise<{ next(): boolean; readonly timeMs: number; readonly value: number }>;
  queryIndex(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
  ): { ids: readonly string[] };
}

/** Which namespace checkNamespace reads back, and over what range. */
export interface NamespaceCheck {
  namespace: string;
  model: Model;
  /** Series IDs by series number, one per series of the model. */
  ids: readonly string[];
  /** Fetches cover [0, endMs). */
  endMs: number;
  /** Instants before this may have expired with their block: nothing there is required. */
  oldestMs: number;
  indexBlockMs: number;
  /** Times in messages are counted from this instant. */
  originMs: number;
}

/**
 * Reads every series of one namespace back and holds it to the model: no
 * datapoint never written or not allowed there, no acknowledged one lost,
 * and the index finds the series in every block it must hold data in.
 * `settle` waits for a read while the simulation releases I/O. Returns the
 * first problem found, or null.
 */
export async function checkNamespace(
  engine: ReadableEngine,
  c: NamespaceCheck,
  when: string,
  settle: <T>(p: Promise<T>, what: string) => Promise<T>,
): Promise<string | null> {
  const { namespace, model, oldestMs: oldest, originMs: origin, indexBlockMs } = c;
  for (let s = 0; s < c.ids.length; s++) {
    const perTime = model.get(s) as Map<number, SentWrite[]>;
    const id = c.ids[s];
    const it = await settle(engine.fetch(namespace, id, 0, c.endMs), "fetch");
    const got = new Map<number, string>();
    let n = 0;
    while (it.next()) {
      if (++n > 100_000) return "fetch returned an endless stream";
      if (got.has(it.timeMs))
        return `${when}: ${namespace} series ${s} has two datapoints at ${it.timeMs}`;
      got.set(it.timeMs, bitsOf(it.value));
    }
    for (const [t, bits] of got) {
      const list = perTime.get(t);
      if (list === undefined) {
        return `${when}: ${namespace} series ${s} at ${t - origin} holds ${bits}, never written`;
      }
      const { values } = allowed(list);
      if (!values.has(bits) && t >= oldest) {
        return `${when}: ${namespace} series ${s} at ${t - origin} holds ${bits}; allowed: ${[...values].join(", ")}`;
      }
    }
    const blocks = new Set<number>();
    for (const [t, list] of perTime) {
      if (t < oldest) continue;
      const { required } = allowed(list);
      if (!required) continue;
      if (!got.has(t)) {
        return `${when}: acknowledged datapoint lost: ${namespace} series ${s} at ${t - origin} (values ${list
          .map((w) => `${w.value}${w.ackedAt >= 0 ? "" : "?"}`)
          .join(", ")})`;
      }
      blocks.add(Math.floor(t / indexBlockMs) * indexBlockMs);
    }
    for (const start of blocks) {
      const found = engine.queryIndex(
        namespace,
        [newMatcher("=", "series", String(s))],
        start,
        start + indexBlockMs,
      ).ids;
      if (![...found].includes(id)) {
        return `${when}: index misses ${namespace} series ${s} in the block at ${start - origin}`;
      }
    }
  }
  return null;
}
