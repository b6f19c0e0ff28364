// M3's admin API: database/create, the namespace registry and the placement on the cluster KV.
export { AdminApi } from "./admin-api.js";
