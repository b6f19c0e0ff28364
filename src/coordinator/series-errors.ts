// Refusals of one series that every ingest protocol shares: labels that break
// a rule, and a datapoint the database refused, each naming the series.
import { M3tsError } from "../x/index.js";

/** A series whose labels break a rule; the message names the series and the rule. */
export class InvalidLabelsError extends M3tsError {
  readonly series: string;

  constructor(series: string, reason: string) {
    super("M3TS_ERR_INVALID_LABELS", `series ${series}: ${reason}`);
    this.series = series;
  }
}

/**
 * A datapoint the database refused, named by its series: the database's
 * error stays as it was (the code that sets the HTTP status, the message),
 * and this one adds the series in front.
 */
export class SeriesWriteError extends M3tsError {
  readonly series: string;
  readonly refusal: M3tsError;

  constructor(series: string, refusal: M3tsError) {
    super(refusal.code, `series ${series}: ${refusal.message}`);
    this.series = series;
    this.refusal = refusal;
  }
}
