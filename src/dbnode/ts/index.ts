// Time-series vocabulary below the client and the database: the batch write shapes.
export type { WriteBatch, WriteResult } from "./write-batch.js";
