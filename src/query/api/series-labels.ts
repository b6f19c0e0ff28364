// /api/v1/series, /api/v1/labels and /api/v1/label/<name>/values, read from
// the index through the client (never a datapoint), with Prometheus's
// parameters, defaults (an unbounded time range) and truncation warning
// (web/api/v1 series, labelNames, labelValues).

import type { Client } from "../../client/index.js";
import type { Matcher } from "../../index/index.js";
import { compareUtf8 } from "../../x/index.js";
import type { Form } from "./form.js";
import { labelsJson } from "./json-format.js";
import {
  invalidParam,
  MAX_TIME_MS,
  MIN_TIME_MS,
  ParamError,
  parseLimit,
  parseTimeParam,
} from "./params.js";
import { type PromQLText, selectorMatchers } from "./promql-text.js";

export interface SeriesLabelsDeps {
  client: Client;
  namespace: string;
  promql: PromQLText;
}

/** M3's series limit of one /series request (query.maxSeries, or M3-Limit-Max-Series). */
export interface SeriesLimit {
  maxSeries: number;
  requireExhaustive: boolean;
}

const TRUNCATED = "results truncated due to limit";

/** M3's results-limited reason for a truncated series fetch. */
const SERIES_LIMIT_APPLIED = "max_fetch_series_limit_applied";

/** The answer of a metadata endpoint: its data as JSON text and its warnings. */
export interface Listing {
  dataJson: string;
  warnings: string[];
  /** M3's results-limited reasons (M3-Results-Limited). */
  limited?: string[];
}

function range(form: Form): { startMs: number; endMs: number } {
  return {
    startMs: parseTimeParam("start", form.get("start"), MIN_TIME_MS),
    endMs: parseTimeParam("end", form.get("end"), MAX_TIME_MS),
  };
}

function matcherSets(deps: SeriesLabelsDeps, form: Form, param: boolean): Matcher[][] {
  return form.all("match[]").map((text) => {
    try {
      return selectorMatchers(deps.promql, text);
    } catch (e) {
      // /series names the parameter; /labels and /label/../values do not.
      if (param) throw invalidParam("match[]", (e as Error).message);
      throw e;
    }
  });
}

function sortedStrings(values: Iterable<string>): string[] {
  return [...values].sort(compareUtf8);
}

function limited(values: string[], limit: number): Listing {
  if (limit > 0 && values.length > limit) {
    return { dataJson: JSON.stringify(values.slice(0, limit)), warnings: [TRUNCATED] };
  }
  return { dataJson: JSON.stringify(values), warnings: [] };
}

/** /api/v1/series: the label sets of the series any `match[]` selects. */
export async function listSeries(
  deps: SeriesLabelsDeps,
  form: Form,
  seriesLimit: SeriesLimit,
): Promise<Listing> {
  if (form.all("match[]").length === 0) throw new ParamError("no match[] parameter provided");
  const limit = parseLimit(form.get("limit"));
  const { startMs, endMs } = range(form);
  const sets = matcherSets(deps, form, true);
  const { maxSeries, requireExhaustive } = seriesLimit;
  const byId = new Map<string, [string, string][]>();
  const warnings: string[] = [];
  const limitedBy: string[] = [];
  for (const matchers of sets) {
    // Read from the index alone: no datapoint is decoded. Without
    // exhaustiveness the match is unbounded and cut here, as the engine's
    // querier does.
    let found = await deps.client.seriesTags(deps.namespace, matchers, startMs, endMs, {
      maxSeries: requireExhaustive ? maxSeries : 0,
      maxDocsScanned: 0,
    });
    if (!requireExhaustive && maxSeries > 0 && found.length > maxSeries) {
      found = found.slice(0, maxSeries);
      if (limitedBy.length === 0) {
        warnings.push(
          `results truncated: the selector matched more than ${maxSeries} series (M3-Limit-Max-Series)`,
        );
        limitedBy.push(SERIES_LIMIT_APPLIED);
      }
    }
    for (const s of found) {
      if (!byId.has(s.id)) {
        byId.set(
          s.id,
          s.tags.map(([n, v]) => [n, v]),
        );
      }
    }
  }
  const all = [...byId.values()].map((tags) => tags.sort((a, b) => compareUtf8(a[0], b[0])));
  all.sort(compareTagSets);
  const truncated = limit > 0 && all.length > limit;
  const shown = truncated ? all.slice(0, limit) : all;
  const parts = shown.map((tags) => labelsJson(tags.map(([name, value]) => ({ name, value }))));
  if (truncated) warnings.push(TRUNCATED);
  return { dataJson: `[${parts.join(",")}]`, warnings, limited: limitedBy };
}

function compareTagSets(a: [string, string][], b: [string, string][]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareUtf8(a[i][0], b[i][0]) || compareUtf8(a[i][1], b[i][1]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** /api/v1/labels: the label names of the series any `match[]` selects (of every series without one). */
export async function listLabelNames(deps: SeriesLabelsDeps, form: Form): Promise<Listing> {
  const limit = parseLimit(form.get("limit"));
  const { startMs, endMs } = range(form);
  const sets = matcherSets(deps, form, false);
  const names = new Set<string>();
  for (const matchers of sets.length === 0 ? [[]] : sets) {
    for (const n of await deps.client.labelNames(deps.namespace, matchers, startMs, endMs)) {
      names.add(n);
    }
  }
  return limited(sortedStrings(names), limit);
}

/**
 * Prometheus's U__ escaping of a label name in a URL path
 * (model.UnescapeName with value encoding): `__` is `_`, `_<hex>_` is that
 * code point. A name that does not unescape is kept as it was.
 */
export function unescapeLabelName(name: string): string {
  if (!name.startsWith("U__")) return name;
  const body = name.slice(3);
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== "_") {
      out += c;
      continue;
    }
    if (body[i + 1] === "_") {
      out += "_";
      i++;
      continue;
    }
    const end = body.indexOf("_", i + 1);
    if (end < 0) return name;
    const hex = body.slice(i + 1, end);
    if (!/^[0-9a-fA-F]+$/.test(hex)) return name;
    const cp = Number.parseInt(hex, 16);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return name;
    out += String.fromCodePoint(cp);
    i = end;
  }
  return out;
}

/** /api/v1/label/<name>/values: the values of one label on the series any `match[]` selects. */
export async function listLabelValues(
  deps: SeriesLabelsDeps,
  form: Form,
  rawName: string,
): Promise<Listing> {
  let name: string;
  try {
    name = unescapeLabelName(decodeURIComponent(rawName));
  } catch {
    throw new ParamError(`invalid label name: ${JSON.stringify(rawName)}`);
  }
  // Prometheus 3 takes any non-empty UTF-8 text as a label name.
  if (name === "") throw new ParamError(`invalid label name: ${JSON.stringify(name)}`);
  const limit = parseLimit(form.get("limit"));
  const { startMs, endMs } = range(form);
  const sets = matcherSets(deps, form, false);
  const values = new Set<string>();
  for (const matchers of sets.length === 0 ? [[]] : sets) {
    for (const v of await deps.client.labelValues(deps.namespace, name, matchers, startMs, endMs)) {
      values.add(v);
    }
  }
  return limited(sortedStrings(values), limit);
}
