// Every PromQL function's signature as Prometheus 3 declares it: argument
// types, how many trailing arguments may repeat or be left out, the result
// type, and whether Prometheus keeps it behind the experimental-functions flag.

import type { ValueType } from "../ast.js";

export interface FunctionSignature {
  argTypes: ValueType[];
  /**
   * 0: exactly argTypes.length arguments. n > 0: the last argument may be
   * left out or repeated up to n times in all. -1: repeated without limit.
   */
  variadic: number;
  returnType: ValueType;
  experimental: boolean;
}

// One line a function: name, argument letters (v instant vector, m range
// vector, s scalar, S string), result letter, then `+n` for variadic and `x`
// for experimental.
const TABLE = `
abs v v
absent v v
absent_over_time m v
acos v v
acosh v v
asin v v
asinh v v
atan v v
atanh v v
avg_over_time m v
ceil v v
changes m v
clamp vss v
clamp_max vs v
clamp_min vs v
cos v v
cosh v v
count_over_time m v
days_in_month v v +1
day_of_month v v +1
day_of_week v v +1
day_of_year v v +1
deg v v
delta m v
deriv m v
double_exponential_smoothing mss v x
holt_winters mss v
end - s x
exp v v
first_over_time m v
floor v v
histogram_avg v v
histogram_count v v
histogram_fraction ssv v
histogram_quantile sv v
histogram_quantiles vSss v +9 x
histogram_stddev v v
histogram_stdvar v v
histogram_sum v v
hour v v +1
idelta m v
increase m v
info vv v +1 x
irate m v
label_join vSSS v +-1
label_replace vSSSS v
last_over_time m v
ln v v
log10 v v
log2 v v
mad_over_time m v x
max_of ss s x
max_over_time m v
min_of ss s x
min_over_time m v
minute v v +1
month v v +1
pi - s
predict_linear ms v
present_over_time m v
quantile_over_time sm v
rad v v
range - s x
rate m v
resets m v
round vs v +1
scalar v s
sgn v v
sin v v
sinh v v
sort v v
sort_by_label vS v +-1 x
sort_by_label_desc vS v +-1 x
sort_desc v v
sqrt v v
start - s x
start_timestamp v v x
step - s x
stddev_over_time m v
stdvar_over_time m v
sum_over_time m v
tan v v
tanh v v
time - s
timestamp v v
ts_of_first_over_time m v x
ts_of_last_over_time m v x
ts_of_max_over_time m v x
ts_of_min_over_time m v x
vector s v
year v v +1
`;

const LETTER: Record<string, ValueType> = { v: "vector", m: "matrix", s: "scalar", S: "string" };

function buildTable(): Map<string, FunctionSignature> {
  const out = new Map<string, FunctionSignature>();
  for (const line of TABLE.trim().split("\n")) {
    const [name, args, ret, ...flags] = line.split(" ") as [string, string, string, ...string[]];
    const variadicFlag = flags.find((f) => f.startsWith("+"));
    out.set(name, {
      argTypes: args === "-" ? [] : Array.from(args, (c) => LETTER[c] as ValueType),
      variadic: variadicFlag === undefined ? 0 : Number(variadicFlag.slice(1)),
      returnType: LETTER[ret] as ValueType,
      experimental: flags.includes("x"),
    });
  }
  return out;
}

/** Every function Prometheus 3 knows, by name. */
export const FUNCTION_SIGNATURES: ReadonlyMap<string, FunctionSignature> = buildTable();
