// Binary operators: arithmetic, comparison with and without bool, set
// operators, vector matching with on/ignoring and group_left/group_right.

export { evalBinary } from "./binary.js";
