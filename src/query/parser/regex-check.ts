// The syntax check of a label matcher's regular expression, with Go's
// regexp error texts, which Prometheus reports as they are.

/**
 * Rewrites the RE2 forms JavaScript's RegExp does not read (inline flags,
 * \\A, \\z, POSIX classes) into ones it does, for a syntax check only: the
 * rewrite keeps the structure, not the meaning of the flags.
 */
export function approximateRe2(pattern: string): string {
  return pattern
    .replace(/\(\?[imsU-]+\)/g, "")
    .replace(/\(\?[imsU-]+:/g, "(?:")
    .replace(/\(\?P</g, "(?<")
    .replace(/\\[Az]/g, "")
    .replace(/\[:\^?[a-z]+:\]/g, "a");
}

/** Checks a label matcher's regex; returns Go's regexp error text (as Prometheus reports it) or null. */
export function regexError(pattern: string): string | null {
  // Forms JavaScript reads but RE2 refuses: lookaround and backreferences.
  const perl = /\(\?<?[=!]/.exec(pattern);
  if (perl !== null)
    return `error parsing regexp: invalid or unsupported Perl syntax: \`${perl[0]}\``;
  const backref = /\\[1-9]/.exec(pattern);
  if (backref !== null) return `error parsing regexp: invalid escape sequence: \`${backref[0]}\``;
  try {
    new RegExp(`^(?:${approximateRe2(pattern)})$`, "s");
    return null;
  } catch (e) {
    const msg = (e as Error).message;
    const wrap = (code: string, expr: string): string =>
      `error parsing regexp: ${code}: \`${expr}\``;
    if (msg.includes("Unterminated group")) return wrap("missing closing )", pattern);
    if (msg.includes("Unmatched ')'")) return wrap("unexpected )", pattern);
    if (msg.includes("Unterminated character class")) {
      return wrap("missing closing ]", pattern.slice(pattern.lastIndexOf("[")));
    }
    if (msg.includes("Nothing to repeat")) {
      const m = /(^|[(|])([*+?{])/.exec(pattern);
      return wrap(
        "missing argument to repetition operator",
        m === null ? pattern : (m[2] as string),
      );
    }
    return wrap("invalid syntax", pattern);
  }
}
