// The node-wide numbers series and encoders take: a series' index names it
// in the commit log, and an encoder's sequence orders it against the other
// encoders of its block (a later one wins at equal instants). Writes and
// bootstrap draw from the same counters.
import type { SequenceSource } from "./series-buffer.js";

export class Sequences implements SequenceSource {
  private seq = 0;
  private seriesIndex = 0;

  /** The next encoder creation number. */
  nextSeq(): number {
    return ++this.seq;
  }

  /** The commit log index of the next series created, by a write or by bootstrap. */
  nextSeriesIndex(): number {
    return ++this.seriesIndex;
  }
}
