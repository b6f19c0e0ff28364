// The coordinator: the HTTP ingest endpoints, the admin API and the
// downsampler in front of the database. So far: Prometheus remote write's
// request decoding.
export {
  decodeWriteRequest,
  WriteRequestColumns,
  WriteRequestFormatError,
} from "./write-request.js";
