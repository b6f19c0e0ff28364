// M3's admin API: database/create, the namespace registry and the placement on the cluster KV.
export { AdminApi, type AdminApiOptions, DRY_RUN_HEADER } from "./admin-api.js";
export type { AdminMode } from "./database-create.js";
