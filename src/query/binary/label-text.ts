// Label sets written as Prometheus's labels.String() writes them in error
// messages: `{__name__="up", job="x"}`, every label in order, names quoted
// only when they are not legacy names, values quoted as Go's strconv.Quote.

import type { Labels } from "../labels.js";

const LEGACY_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const SHORT_ESCAPES: Record<string, string> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
  "\\": "\\\\",
  '"': '\\"',
};

function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    const short = SHORT_ESCAPES[ch];
    if (short !== undefined) out += short;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

export function labelsText(labels: Labels): string {
  const parts = labels.map(
    (l) => `${LEGACY_NAME.test(l.name) ? l.name : goQuote(l.name)}=${goQuote(l.value)}`,
  );
  return `{${parts.join(", ")}}`;
}
