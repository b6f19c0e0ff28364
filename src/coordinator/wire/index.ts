// The wire formats under the Prometheus protocols: snappy block bodies
// checked against the body limit (protobuf reading and writing is in src/x).
export { unsnappy } from "./snappy-body.js";
