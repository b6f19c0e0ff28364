// The wire formats under the Prometheus protocols: protobuf reading and
// writing over byte arrays, and snappy block bodies checked against the body limit.
export {
  BYTES,
  FIXED32,
  FIXED64,
  type ProtoErrorFactory,
  ProtoReader,
  VARINT,
} from "./proto-reader.js";
export { delimitedSize, int64Size, ProtoWriter, utf8Size, varintSize } from "./proto-writer.js";
export { unsnappy } from "./snappy-body.js";
