import assert from "node:assert/strict";
import { test } from "node:test";
import { PromQLParseError } from "../errors.js";
import { parsePromQL } from "./index.js";

// Invalid queries and the exact message Prometheus gives for each (its parser
// tests' texts; positions are 1-based byte offsets).
const INVALID: Array<[string, string]> = [
  [
    '{a=~"(?i)"}',
    "parse error at char 1: vector selector must contain at least one non-empty matcher",
  ],
  [
    'foo{a=~"(?=x)"}',
    "parse error at char 5: error parsing regexp: invalid or unsupported Perl syntax: `(?=`",
  ],
  [
    "foo{a=~`(a)\\1`}",
    "parse error at char 5: error parsing regexp: invalid escape sequence: `\\1`",
  ],
  ["", "parse error at char 1: no expression found in input"],
  ["# just a comment\n\n", "parse error at char 1: no expression found in input"],
  ["1+", "parse error at char 3: unexpected end of input"],
  [".", "parse error at char 1: unexpected character: '.'"],
  ["2.5.", 'parse error at char 1: bad number or duration syntax: "2.5."'],
  ["100..4", 'parse error at char 1: bad number or duration syntax: "100.."'],
  ["0deadbeef", 'parse error at char 1: bad number or duration syntax: "0de"'],
  ["1 /", "parse error at char 4: unexpected end of input"],
  ["*1", "parse error at char 1: unexpected <op:*>"],
  ["(1))", "parse error at char 5: unexpected right parenthesis ')'"],
  ["((1)", "parse error at char 5: unclosed left parenthesis"],
  ["(", "parse error at char 2: unclosed left parenthesis"],
  ["1 and 1", 'parse error at char 1: set operator "and" not allowed in binary scalar expression'],
  ["1 == 1", "parse error at char 3: comparisons between scalars must use BOOL modifier"],
  ["1 or 1", 'parse error at char 1: set operator "or" not allowed in binary scalar expression'],
  [
    "1 unless 1",
    'parse error at char 1: set operator "unless" not allowed in binary scalar expression',
  ],
  ["1 !~ 1", "parse error at char 3: unexpected character after '!': '~'"],
  ["1 =~ 1", "parse error at char 3: unexpected character after '=': '~'"],
  [
    '-"string"',
    'parse error at char 1: unary expression only allowed on expressions of type scalar or instant vector, got "string"',
  ],
  [
    "-test[5m]",
    'parse error at char 1: unary expression only allowed on expressions of type scalar or instant vector, got "range vector"',
  ],
  ["*test", "parse error at char 1: unexpected <op:*>"],
  ["@@", "parse error at char 1: unexpected <op:@>"],
  [
    "1 offset 1d",
    "parse error at char 1: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery",
  ],
  ["foo offset 1s offset 2s", "parse error at char 1: offset may not be set multiple times"],
  ["a - on(b) ignoring(c) d", "parse error at char 11: unexpected <ignoring>"],
  [
    "foo and 1",
    'parse error at char 1: set operator "and" not allowed in binary scalar expression',
  ],
  [
    "1 and foo",
    'parse error at char 1: set operator "and" not allowed in binary scalar expression',
  ],
  ["foo or 1", 'parse error at char 1: set operator "or" not allowed in binary scalar expression'],
  ["1 or foo", 'parse error at char 1: set operator "or" not allowed in binary scalar expression'],
  [
    "foo unless 1",
    'parse error at char 1: set operator "unless" not allowed in binary scalar expression',
  ],
  [
    "1 unless foo",
    'parse error at char 1: set operator "unless" not allowed in binary scalar expression',
  ],
  [
    "1 or on(bar) foo",
    "parse error at char 1: vector matching only allowed between instant vectors",
  ],
  [
    "foo == on(bar) 10",
    "parse error at char 1: vector matching only allowed between instant vectors",
  ],
  ["foo + group_left(baz) bar", "parse error at char 7: unexpected <group_left>"],
  [
    "foo and on(bar) group_left(baz) bar",
    'parse error at char 1: no grouping allowed for "and" operation',
  ],
  [
    "foo and on(bar) group_right(baz) bar",
    'parse error at char 1: no grouping allowed for "and" operation',
  ],
  [
    "foo or on(bar) group_left(baz) bar",
    'parse error at char 1: no grouping allowed for "or" operation',
  ],
  [
    "foo or on(bar) group_right(baz) bar",
    'parse error at char 1: no grouping allowed for "or" operation',
  ],
  [
    "foo unless on(bar) group_left(baz) bar",
    'parse error at char 1: no grouping allowed for "unless" operation',
  ],
  [
    "foo unless on(bar) group_right(baz) bar",
    'parse error at char 1: no grouping allowed for "unless" operation',
  ],
  [
    'http_requests{group="production"} + on(instance) group_left(job,instance) cpu_count{type="smp"}',
    'parse error at char 35: label "instance" must not occur in ON and GROUP clause at once',
  ],
  [
    "foo + bool bar",
    "parse error at char 5: bool modifier can only be used on comparison operators",
  ],
  [
    "foo + bool 10",
    "parse error at char 5: bool modifier can only be used on comparison operators",
  ],
  [
    "foo and bool 10",
    "parse error at char 5: bool modifier can only be used on comparison operators",
  ],
  ["foo @ +Inf", "parse error at char 1: timestamp out of bounds for @ modifier: +Inf"],
  ["foo @ -Inf", "parse error at char 1: timestamp out of bounds for @ modifier: -Inf"],
  ["foo @ NaN", "parse error at char 1: timestamp out of bounds for @ modifier: NaN"],
  ["{", "parse error at char 2: unexpected end of input inside braces"],
  ["}", "parse error at char 1: unexpected character: '}'"],
  ["some{", "parse error at char 6: unexpected end of input inside braces"],
  ["some}", "parse error at char 5: unexpected character: '}'"],
  [
    "some_metric{a=b}",
    'parse error at char 15: unexpected identifier "b" in label matching, expected string',
  ],
  ['some_metric{a:b="b"}', "parse error at char 14: unexpected character inside braces: ':'"],
  ['foo{a*"b"}', "parse error at char 6: unexpected character inside braces: '*'"],
  ['foo{a>="b"}', "parse error at char 6: unexpected character inside braces: '>'"],
  [
    "foo{gibberish}",
    'parse error at char 14: unexpected "}" in label matching, expected label matching operator',
  ],
  ["foo{1}", "parse error at char 5: unexpected character inside braces: '1'"],
  ["{}", "parse error at char 1: vector selector must contain at least one non-empty matcher"],
  ['{x=""}', "parse error at char 1: vector selector must contain at least one non-empty matcher"],
  [
    '{x=~".*"}',
    "parse error at char 1: vector selector must contain at least one non-empty matcher",
  ],
  [
    '{x!~".+"}',
    "parse error at char 1: vector selector must contain at least one non-empty matcher",
  ],
  [
    '{x!="a"}',
    "parse error at char 1: vector selector must contain at least one non-empty matcher",
  ],
  [
    'foo{__name__="bar"}',
    'parse error at char 1: metric name must not be set twice: "foo" or "bar"',
  ],
  ["foo{__name__= =}", 'parse error at char 15: unexpected "=" in label matching, expected string'],
  ["foo{,}", 'parse error at char 5: unexpected "," in label matching, expected identifier or "}"'],
  [
    'foo{__name__ == "bar"}',
    'parse error at char 15: unexpected "=" in label matching, expected string',
  ],
  [
    'foo{__name__="bar" lol}',
    'parse error at char 20: unexpected identifier "lol" in label matching, expected "," or "}"',
  ],
  ['foo{"a"=}', 'parse error at char 9: unexpected "}" in label matching, expected string'],
  ["foo[5mm]", 'parse error at char 5: bad number or duration syntax: "5mm"'],
  ["foo[5m1]", 'parse error at char 5: bad number or duration syntax: "5m1"'],
  ["foo[5m:1m1]", 'parse error at char 8: bad number or duration syntax: "1m1"'],
  ["foo[5y1hs]", 'parse error at char 5: unknown unit "hs" in duration "5y1hs"'],
  ["foo[5m1h]", 'parse error at char 5: not a valid duration string: "5m1h"'],
  ["foo[5m1m]", 'parse error at char 5: not a valid duration string: "5m1m"'],
  ["foo[0m]", "parse error at char 5: duration must be greater than 0"],
  ['foo["5m"]', "parse error at char 5: unexpected character in duration expression: '\"'"],
  [
    "foo[]",
    'parse error at char 5: unexpected "]" in subquery or range selector, expected number, duration, step(), or range()',
  ],
  ["foo[-1]", "parse error at char 5: duration must be greater than 0"],
  ["some_metric[5m] OFFSET 1mm", 'parse error at char 24: bad number or duration syntax: "1mm"'],
  [
    "some_metric[5m] OFFSET",
    "parse error at char 23: unexpected end of input in offset, expected number, duration, step(), or range()",
  ],
  ["some_metric OFFSET 1m[5m]", "parse error at char 22: no offset modifiers allowed before range"],
  ["some_metric[5m] @", "parse error at char 18: unexpected end of input in @, expected timestamp"],
  ["some_metric @ 1234 [5m]", "parse error at char 20: no @ modifiers allowed before range"],
  ["some_metric @ start() [5m]", "parse error at char 23: no @ modifiers allowed before range"],
  ["some_metric @ end()[5m]", "parse error at char 20: no @ modifiers allowed before range"],
  [
    "some_metric offset step()[5m]",
    "parse error at char 26: no offset modifiers allowed before range",
  ],
  ["(foo + bar)[5m]", "parse error at char 12: ranges only allowed for vector selectors"],
  ['sum by ("foo)(some_metric{})', "parse error at char 9: unterminated quoted string"],
  [
    "sum without(==)(some_metric)",
    "parse error at char 13: unexpected <op:==> in grouping opts, expected label",
  ],
  [
    "sum without(,)(some_metric)",
    'parse error at char 13: unexpected "," in grouping opts, expected label',
  ],
  [
    "sum without(foo,,)(some_metric)",
    'parse error at char 17: unexpected "," in grouping opts, expected label',
  ],
  ["sum some_metric by (test)", 'parse error at char 5: unexpected identifier "some_metric"'],
  [
    "sum (some_metric) by test",
    'parse error at char 22: unexpected identifier "test" in grouping opts, expected "("',
  ],
  ["sum () by (test)", "parse error at char 1: no arguments for aggregate expression provided"],
  ["MIN keep_common (some_metric)", 'parse error at char 5: unexpected identifier "keep_common"'],
  ["MIN (some_metric) keep_common", 'parse error at char 19: unexpected identifier "keep_common"'],
  ["sum (some_metric) without (test) by (test)", "parse error at char 34: unexpected <by>"],
  ["sum without (test) (some_metric) by (test)", "parse error at char 34: unexpected <by>"],
  [
    "topk(some_metric)",
    "parse error at char 1: wrong number of arguments for aggregate expression provided, expected 2, got 1",
  ],
  [
    "topk(some_metric,)",
    "parse error at char 17: trailing commas not allowed in function call args",
  ],
  [
    "topk(some_metric, other_metric)",
    "parse error at char 6: expected type scalar in aggregation parameter, got instant vector",
  ],
  [
    "count_values(5, other_metric)",
    "parse error at char 14: expected type string in aggregation parameter, got scalar",
  ],
  [
    "rate(some_metric[5m]) @ 1234",
    "parse error at char 1: @ modifier must be preceded by an instant vector selector or range vector selector or a subquery",
  ],
  ["floor()", 'parse error at char 1: expected 1 argument(s) in call to "floor", got 0'],
  [
    "floor(some_metric, other_metric)",
    'parse error at char 1: expected 1 argument(s) in call to "floor", got 2',
  ],
  [
    "floor(some_metric, 1)",
    'parse error at char 1: expected 1 argument(s) in call to "floor", got 2',
  ],
  [
    "floor(1)",
    'parse error at char 7: expected type instant vector in call to function "floor", got scalar',
  ],
  [
    "hour(some_metric, some_metric, some_metric)",
    'parse error at char 1: expected at most 1 argument(s) in call to "hour", got 3',
  ],
  ["time(some_metric)", 'parse error at char 1: expected 0 argument(s) in call to "time", got 1'],
  [
    "non_existent_function_far_bar()",
    'parse error at char 1: unknown function with name "non_existent_function_far_bar"',
  ],
  [
    "rate(some_metric)",
    'parse error at char 6: expected type range vector in call to function "rate", got instant vector',
  ],
  ["-=", 'parse error at char 2: unexpected "="'],
  ["++-++-+-+-<", "parse error at char 11: unexpected <op:<>"],
  ["e-+=/(0)", 'parse error at char 4: unexpected "="'],
  ["a>b()", 'parse error at char 3: unknown function with name "b"'],
  [
    "rate(avg)",
    'parse error at char 6: expected type range vector in call to function "rate", got instant vector',
  ],
  ["`\\``", "parse error at char 4: unterminated raw string"],
  ['"\\', "parse error at char 1: escape sequence not terminated"],
  ['"\\c"', "parse error at char 1: unknown escape sequence U+0063 'c'"],
  ['"\\x."', "parse error at char 1: illegal character U+002E '.' in escape sequence"],
  ['foo{bar="baz"}[', "parse error at char 16: unexpected end of input in duration expression"],
  [
    "test[5d] OFFSET 10s [10m:5s]",
    "parse error at char 1: subquery is only allowed on instant vector, got matrix instead",
  ],
  [
    '(foo + bar{nm="val"})[5m:][10m:5s]',
    "parse error at char 1: subquery is only allowed on instant vector, got matrix instead",
  ],
  [
    "rate(food[1m])[1h] offset 1h",
    "parse error at char 15: ranges only allowed for vector selectors",
  ],
  ["rate(food[1m])[1h] @ 100", "parse error at char 15: ranges only allowed for vector selectors"],
  [
    'info(rate(http_request_counter_total{}[5m]), target_info{foo="bar"})',
    "parse error at char 46: expected label selectors only, got vector selector instead",
  ],
  [
    'info(http_request_counter_total{namespace="zzz"}, {foo="bar"} == 1)',
    "parse error at char 51: expected label selectors only",
  ],
  [
    "foo[step]",
    'parse error at char 9: unexpected "]" in subquery or range selector, expected number, duration, step(), or range()',
  ],
  ["foo[step()/0d]", "parse error at char 11: division by zero"],
  ["foo[5s/0d]", "parse error at char 7: division by zero"],
  ["foo offset (4d/0)", "parse error at char 15: division by zero"],
  ["foo[5s%0d]", "parse error at char 7: modulo by zero"],
  ["foo offset 9.5e10", "parse error at char 12: duration out of range"],
  ["foo[9.5e10]", "parse error at char 5: duration out of range"],
  ["sum(", "parse error at char 5: unclosed left parenthesis"],
  ["sum(rate(", "parse error at char 10: unclosed left parenthesis"],
  ["foo[5s x 5s]", "parse error at char 8: unexpected character: 'x', expected ':'"],
  ["foo[5s s 5s]", "parse error at char 8: unexpected character: 's', expected ':'"],
  ["1[5m] smoothed", "parse error at char 2: ranges only allowed for vector selectors"],
  ["1[5m] anchored", "parse error at char 2: ranges only allowed for vector selectors"],
  [
    "rate(foo)",
    'parse error at char 6: expected type range vector in call to function "rate", got instant vector',
  ],
  ["foo()", 'parse error at char 1: unknown function with name "foo"'],
  ["abs(foo, bar)", 'parse error at char 1: expected 1 argument(s) in call to "abs", got 2'],
  [
    "round(foo, 1, 2)",
    'parse error at char 1: expected at most 2 argument(s) in call to "round", got 3',
  ],
  [
    'label_join(foo, "a")',
    'parse error at char 1: expected at least 3 argument(s) in call to "label_join", got 2',
  ],
  [
    "foo[5m] + 1",
    "parse error at char 1: binary expression must contain only scalar and instant vector types",
  ],
  [
    '1 + "a"',
    "parse error at char 5: binary expression must contain only scalar and instant vector types",
  ],
  [
    "a + b[5m:]",
    "parse error at char 5: binary expression must contain only scalar and instant vector types",
  ],
  [
    "sum(foo[5m])",
    "parse error at char 5: expected type instant vector in aggregation expression, got range vector",
  ],
  [
    "quantile(foo, bar)",
    "parse error at char 10: expected type scalar in aggregation parameter, got instant vector",
  ],
  ["1 > 2", "parse error at char 3: comparisons between scalars must use BOOL modifier"],
  [
    "foo + bool bar",
    "parse error at char 5: bool modifier can only be used on comparison operators",
  ],
  ["foo offset 5m[5m]", "parse error at char 14: no offset modifiers allowed before range"],
  [
    "sum(foo) @ 100",
    "parse error at char 1: @ modifier must be preceded by an instant vector selector or range vector selector or a subquery",
  ],
  ["foo @ 1 @ 2", "parse error at char 1: @ <timestamp> may not be set multiple times"],
  ['foo{a=~"("}', "parse error at char 5: error parsing regexp: missing closing ): `(`"],
  ['foo{a=~"a)"}', "parse error at char 5: error parsing regexp: unexpected ): `a)`"],
  ['foo{a=~"[a"}', "parse error at char 5: error parsing regexp: missing closing ]: `[a`"],
  ["foo\n  + bar{", "parse error at line 2, char 9: unexpected end of input inside braces"],
  [
    "foo[5m] anchored smoothed",
    "parse error at char 1: anchored and smoothed modifiers cannot be used together",
  ],
  ["foo[5m:] anchored", "parse error at char 1: anchored modifier is not supported for subqueries"],
];

for (const [query, message] of INVALID) {
  test(`rejects ${JSON.stringify(query)} with Prometheus's message`, () => {
    assert.throws(
      () => parsePromQL(query),
      (e: unknown) => {
        assert.ok(e instanceof PromQLParseError, String(e));
        assert.equal(e.message, message);
        return true;
      },
    );
  });
}

// With Prometheus's feature flags off, its experimental syntax is refused in its words.
const OFF = {
  experimentalFunctions: false,
  durationExpressions: false,
  fillModifiers: false,
  extendedRangeSelectors: false,
};
const DISABLED: Array<[string, string]> = [
  ["mad_over_time(foo[5m])", 'parse error at char 1: function "mad_over_time" is not enabled'],
  [
    "limitk(1, foo)",
    "parse error at char 1: limitk() is experimental and must be enabled with --enable-feature=promql-experimental-functions",
  ],
  ["foo[5m + step()]", "parse error at char 5: experimental duration expression is not enabled"],
  ["foo offset step()", "parse error at char 12: experimental duration expression is not enabled"],
  ["a + fill(0) b", "parse error at char 1: binop fill modifiers are experimental and not enabled"],
  ["foo[5m] anchored", "parse error at char 1: anchored modifier is experimental and not enabled"],
  ["foo smoothed", "parse error at char 1: smoothed modifier is experimental and not enabled"],
];

for (const [query, message] of DISABLED) {
  test(`with experimental features off, rejects ${JSON.stringify(query)}`, () => {
    assert.throws(() => parsePromQL(query, OFF), { message });
    assert.doesNotThrow(() => parsePromQL(query));
  });
}

test("stable syntax parses with every experimental feature off", () => {
  assert.doesNotThrow(() => parsePromQL("sum by (job) (rate(foo[5m] offset 1m)) > bool 1", OFF));
});

test("names in messages are quoted as Go's %q: \\a and \\x7f, not JSON's \\u0007 and a raw DEL", () => {
  assert.throws(() => parsePromQL('foo{__name__="b\\a\\x7f"}'), {
    message: 'parse error at char 1: metric name must not be set twice: "foo" or "b\\a\\x7f"',
  });
});
