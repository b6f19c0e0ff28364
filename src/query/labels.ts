// Label sets of query results: sorted by name, compared and keyed as
// Prometheus's labels.Labels are.

import { goQuote } from "./go-format.js";

export interface Label {
  readonly name: string;
  readonly value: string;
}

/** A label set sorted by name, no duplicate names, no empty values. */
export type Labels = readonly Label[];

export const METRIC_NAME = "__name__";

/** Byte-wise (UTF-8 order equals UTF-16 order for the BMP) comparison of two strings. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders label sets as Prometheus sorts result series: label by label, name then value. */
export function compareLabels(a: Labels, b: Labels): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = cmp(a[i].name, b[i].name) || cmp(a[i].value, b[i].value);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** A string that identifies a label set (for maps keyed by series). */
export function labelsKey(labels: Labels): string {
  let s = "";
  for (const l of labels) s += `${l.name}\xff${l.value}\xfe`;
  return s;
}

/** Sorts and drops empty values: the canonical form of a label set. */
export function makeLabels(pairs: Iterable<readonly [string, string]>): Labels {
  const out: Label[] = [];
  for (const [name, value] of pairs) if (value !== "") out.push({ name, value });
  out.sort((x, y) => cmp(x.name, y.name));
  return out;
}

export function getLabel(labels: Labels, name: string): string {
  for (const l of labels) if (l.name === name) return l.value;
  return "";
}

/** The label set without the metric name (and the type and unit labels that describe it). */
export function dropMetricName(labels: Labels): Labels {
  return labels.some((l) => isNameLike(l.name))
    ? labels.filter((l) => !isNameLike(l.name))
    : labels;
}

/** Labels that go with the metric name: the type and unit labels of Prometheus's type-and-unit feature. */
export const TYPE_LABEL = "__type__";
export const UNIT_LABEL = "__unit__";

function isNameLike(name: string): boolean {
  return name === METRIC_NAME || name === TYPE_LABEL || name === UNIT_LABEL;
}

/** The label set with `name` set to `value` ("" removes it). */
export function withLabel(labels: Labels, name: string, value: string): Labels {
  const out = labels.filter((l) => l.name !== name);
  if (value !== "") {
    out.push({ name, value });
    out.sort((x, y) => cmp(x.name, y.name));
  }
  return out;
}

/** Prometheus's text form: `{a="b", c="d"}`, with the metric name in front when present. */
export function formatLabels(labels: Labels): string {
  const name = getLabel(labels, METRIC_NAME);
  const rest = labels
    .filter((l) => l.name !== METRIC_NAME)
    .map((l) => `${l.name}=${JSON.stringify(l.value)}`);
  return `${name}{${rest.join(", ")}}`;
}

const LEGACY_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label name as Prometheus prints it: bare when a legacy name, else quoted as strconv.Quote does. */
export function formatLabelName(name: string): string {
  return LEGACY_NAME.test(name) ? name : goQuote(name);
}

/**
 * The label set as Prometheus's labels.String() writes it in error messages:
 * `{__name__="up", job="x"}`, every label in order, a name quoted only when
 * it is not a legacy name, values quoted as strconv.Quote does.
 */
export function labelsText(labels: Labels): string {
  const parts = labels.map((l) => `${formatLabelName(l.name)}=${goQuote(l.value)}`);
  return `{${parts.join(", ")}}`;
}
