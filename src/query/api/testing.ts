// Fakes at the query API's edges for its tests: an engine answering fixed
// results (or held until released), a parser of plain series selectors, a
// client over a fixed list of series, and a server that mounts the routes
// as the coordinator does.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Client, FetchedSeries } from "../../client/index.js";
import { type Matcher, QueryLimitError } from "../../index/index.js";
import type { Tag } from "../../x/index.js";
import type { Expr, LabelMatcherNode, MatchOp } from "../ast.js";
import type { QueryEngine, QueryOptions, QueryResult } from "../engine-types.js";
import { PromQLParseError } from "../errors.js";
import type { PromQLText } from "./promql-text.js";
import type { ApiRoute } from "./query-api.js";

export interface EngineCall {
  kind: "instant" | "range";
  query: string;
  startMs: number;
  endMs: number;
  stepMs: number;
  options: QueryOptions;
}

import { resultOf } from "../testing.js";

export { resultOf };

/** An engine whose answer each test sets; `hold` makes queries wait until `releaseAll`. */
export class FakeEngine implements QueryEngine {
  readonly calls: EngineCall[] = [];
  answer: (call: EngineCall) => QueryResult | Promise<QueryResult> = () =>
    resultOf({ resultType: "vector", series: [] });
  private held: (() => void)[] = [];
  hold = false;

  releaseAll(): void {
    const h = this.held;
    this.held = [];
    for (const f of h) f();
  }

  private async run(call: EngineCall): Promise<QueryResult> {
    this.calls.push(call);
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    return this.answer(call);
  }

  instantQuery(query: string, timeMs: number, options: QueryOptions = {}): Promise<QueryResult> {
    return this.run({ kind: "instant", query, startMs: timeMs, endMs: timeMs, stepMs: 0, options });
  }

  rangeQuery(
    query: string,
    startMs: number,
    endMs: number,
    stepMs: number,
    options: QueryOptions = {},
  ): Promise<QueryResult> {
    return this.run({ kind: "range", query, startMs, endMs, stepMs, options });
  }
}

const SELECTOR = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(?:\{(.*)\})?\s*$/s;
const MATCHER = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)/gy;

/** Parses `name`, `name{a="b"}` and `{a=~"b"}`; anything else is a parse error at char 1. */
export const fakePromQL: PromQLText = {
  parse(query: string): Expr {
    const m = SELECTOR.exec(query);
    if (query.trim() === "" || m === null) {
      throw new PromQLParseError(0, `unexpected input in ${JSON.stringify(query)}`);
    }
    const matchers: LabelMatcherNode[] = [];
    if (m[1] !== undefined) matchers.push({ name: "__name__", op: "=", value: m[1] });
    const body = m[2] ?? "";
    MATCHER.lastIndex = 0;
    let pos = 0;
    while (pos < body.trim().length) {
      const mm = MATCHER.exec(body);
      if (mm === null) throw new PromQLParseError(pos, `bad matcher in ${JSON.stringify(body)}`);
      matchers.push({ name: mm[1], op: mm[2] as MatchOp, value: JSON.parse(`"${mm[3]}"`) });
      pos = MATCHER.lastIndex;
    }
    if (m[1] === undefined && matchers.length === 0) {
      throw new PromQLParseError(0, "vector selector must contain at least one non-empty matcher");
    }
    return {
      kind: "vectorSelector",
      name: m[1] ?? null,
      matchers,
      offset: 0,
      at: null,
      anchored: false,
      smoothed: false,
      pos: { start: 0, end: query.length },
    };
  },
  format(expr: Expr): string {
    if (expr.kind !== "vectorSelector") return "?";
    const rest = expr.matchers
      .filter((m) => m.name !== "__name__" || expr.name === null)
      .map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`);
    return `${expr.name ?? ""}${rest.length > 0 ? `{${rest.join(", ")}}` : ""}`;
  },
  toJSON(expr: Expr): unknown {
    return expr.kind === "vectorSelector"
      ? { type: "vectorSelector", name: expr.name ?? "", matchers: expr.matchers }
      : { type: expr.kind };
  },
};

/** A client over fixed series, every one in every time range; it refuses to fetch datapoints. */
export function fakeClient(series: readonly (readonly Tag[])[]): Client & { ranges: number[][] } {
  const ranges: number[][] = [];
  const matching = (ms: readonly Matcher[]) =>
    series.filter((tags) =>
      ms.every((m) => m.matches(tags.find(([n]) => n === m.name)?.[1] ?? "")),
    );
  return {
    ranges,
    async fetchTagged(): Promise<FetchedSeries[]> {
      // The API reads series from the index; only the engine fetches datapoints.
      throw new Error("the query API fetched datapoints");
    },
    async seriesTags(_ns, ms, startMs, endMs, limits) {
      ranges.push([startMs, endMs]);
      const found = matching(ms);
      if (limits.maxSeries > 0 && found.length > limits.maxSeries) {
        throw new QueryLimitError(
          "maxSeries",
          limits.maxSeries,
          `more than ${limits.maxSeries} series match`,
        );
      }
      return found.map((tags) => ({ id: tags.map(([n, v]) => `${n}=${v}`).join(","), tags }));
    },
    async labelNames(_ns, ms, startMs, endMs) {
      ranges.push([startMs, endMs]);
      return [...new Set(matching(ms).flatMap((t) => t.map(([n]) => n)))];
    },
    async labelValues(_ns, name, ms, startMs, endMs) {
      ranges.push([startMs, endMs]);
      return [
        ...new Set(matching(ms).flatMap((t) => t.filter(([n]) => n === name).map(([, v]) => v))),
      ];
    },
    async writeBatch() {
      throw new Error("the fake client takes no writes");
    },
    namespaces: () => [],
    state: () => "bootstrapped",
    failureReason: () => null,
  };
}

/** Serves `routes` on a loopback port the way the coordinator dispatches them. */
export async function serveRoutes(
  routes: ApiRoute[],
): Promise<{ base: string; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    for (const r of routes) {
      const m = r.path.exec(path);
      if (m === null) continue;
      const h = r.methods[req.method ?? "GET"];
      if (h === undefined) {
        res.writeHead(405).end();
        return;
      }
      await h(req, res, m.slice(1));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
