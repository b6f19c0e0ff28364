// M3's admin API on the cluster KV: database/create, the namespace registry and
// the m3db placement, with M3's request and response shapes (M3's
// src/query/api/v1/handler/database/create.go, src/query/api/v1/handler/
// namespace/ and src/cluster/placementhandler/). Changes go to the KV with
// check-and-set; the node applies namespace changes when it sees them, as M3's
// dbnodes do.
import type { IncomingMessage, ServerResponse } from "node:http";
import { hostname } from "node:os";
import {
  AdminRequestError,
  durationToNanos,
  ensureLocalPlacement,
  type KV,
  KVKeyExistsError,
  KVVersionMismatchError,
  localPlacement,
  NAMESPACES_KEY,
  namespaceAddFromJson,
  namespaceOptionsToJson,
  PLACEMENT_KEY,
  type Placement,
  type PlacementInit,
  placementInitFromJson,
  placementToJson,
  type RegistryJson,
  readRegistry,
} from "../../cluster/index.js";
import type { NamespaceOptionsInput } from "../../dbnode/namespace/index.js";
import { resolveNamespaceOptions, validateNamespaceName } from "../../dbnode/namespace/index.js";
import {
  BadRequestError,
  ConflictError,
  NotFoundError,
  parseJsonBody,
  readBody,
  sendJson,
} from "../http.js";
import { buildPlacement, clusterPlacementOf, refuseChangedPlacement } from "./cluster-placement.js";
import {
  type AdminMode,
  type DatabaseCreateCluster,
  databaseCreateFromJson,
} from "./database-create.js";

const MAX_ADMIN_BODY_BYTES = 1 << 20;

/**
 * M3's header asking a placement change to be computed and answered but not
 * written (M3's src/x/headers: `Dry-Run: true`, exactly "true").
 */
export const DRY_RUN_HEADER = "dry-run";

/**
 * What the admin API serves. `single-node` (the default; `m3ts start`, the
 * embedded KV): local databases and the one-instance placement, sized by
 * the node's own shard count and port. `cluster` (`m3ts coordinator`, etcd):
 * cluster placements from placement init and database/create `type:
 * "cluster"`, and no local databases.
 */
export type AdminApiOptions =
  | { kv: KV; mode?: "single-node"; numShards: number; port: number }
  | { kv: KV; mode: "cluster" };

export class AdminApi {
  private readonly kv: KV;
  private readonly mode: AdminMode;
  private readonly numShards: number;
  private readonly port: number;

  constructor(deps: AdminApiOptions) {
    this.kv = deps.kv;
    if (deps.mode === "cluster") {
      this.mode = "cluster";
      this.numShards = 0;
      this.port = 0;
    } else {
      this.mode = "single-node";
      this.numShards = deps.numShards;
      this.port = deps.port;
    }
  }

  async databaseCreate(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = durationToNanos(parseJsonBody(await readBody(req, MAX_ADMIN_BODY_BYTES)));
    const request = databaseCreateFromJson(body, this.mode);
    if (request.type === "cluster") {
      await this.clusterDatabaseCreate(request, isDryRun(req), res);
      return;
    }
    if (request.numShards !== undefined && request.numShards !== this.numShards) {
      throw new BadRequestError(
        `numShards ${request.numShards} differs from this node's shard count ${this.numShards} (db.numShards in its configuration)`,
      );
    }
    const existing = await readRegistry(this.kv);
    if (existing.registry.namespaces[request.namespaceName] !== undefined) {
      throw new BadRequestError(
        `namespace ${JSON.stringify(request.namespaceName)} already exists`,
      );
    }
    if (isDryRun(req)) {
      const got = await this.kv.get(PLACEMENT_KEY);
      const placement =
        got === null ? localPlacement(this.localInstance()) : (got.value as Placement);
      sendJson(res, 200, {
        namespace: { registry: withNamespace(existing, request.namespaceName, request.options) },
        placement: placementToJson(placement, got?.version ?? 0),
      });
      return;
    }
    await this.addNamespace(request.namespaceName, request.options);
    const placement = await this.ensureLocalPlacement();
    const registry = await readRegistry(this.kv);
    sendJson(res, 200, {
      namespace: { registry: registry.registry },
      placement: placementToJson(placement.placement, placement.version),
    });
  }

  async namespaceGet(_req: IncomingMessage, res: ServerResponse): Promise<void> {
    const registry = await readRegistry(this.kv);
    sendJson(res, 200, { registry: registry.registry });
  }

  async namespaceAdd(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = durationToNanos(parseJsonBody(await readBody(req, MAX_ADMIN_BODY_BYTES)));
    const { name, options } = namespaceAddFromJson(body);
    const existing = await readRegistry(this.kv);
    if (existing.registry.namespaces[name] !== undefined) {
      throw new ConflictError(`namespace ${JSON.stringify(name)} already exists`);
    }
    await this.addNamespace(name, options);
    const registry = await readRegistry(this.kv);
    sendJson(res, 200, { registry: registry.registry });
  }

  async namespaceDelete(_req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    for (;;) {
      const current = await readRegistry(this.kv);
      if (current.registry.namespaces[name] === undefined) {
        throw new NotFoundError(
          `unable to find a namespace with specified name ${JSON.stringify(name)}`,
        );
      }
      const namespaces = { ...current.registry.namespaces };
      delete namespaces[name];
      if (await this.casRegistry(current, { namespaces })) break;
    }
    sendJson(res, 200, {});
  }

  async placementGet(_req: IncomingMessage, res: ServerResponse): Promise<void> {
    const got = await this.kv.get(PLACEMENT_KEY);
    if (got === null)
      throw new NotFoundError(
        "placement not found: initialise it with POST /api/v1/services/m3db/placement/init or /api/v1/database/create",
      );
    sendJson(res, 200, placementToJson(got.value as Placement, got.version));
  }

  async placementInit(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = parseJsonBody(await readBody(req, MAX_ADMIN_BODY_BYTES));
    const init = placementInitFromJson(body);
    const placement =
      this.mode === "cluster" ? clusterPlacementOf(init) : this.singleNodePlacementOf(init);
    if (isDryRun(req)) {
      sendJson(res, 200, placementToJson(placement, 0));
      return;
    }
    let version: number;
    try {
      version = await this.kv.setIfNotExists(PLACEMENT_KEY, placement);
    } catch (e) {
      if (e instanceof KVKeyExistsError) {
        throw new ConflictError("placement already exists; it cannot be initialised again");
      }
      throw e;
    }
    sendJson(res, 200, placementToJson(placement, version));
  }

  private singleNodePlacementOf(init: PlacementInit): Placement {
    if (init.numShards !== this.numShards) {
      throw new BadRequestError(
        `numShards ${init.numShards} differs from this node's shard count ${this.numShards} (db.numShards in its configuration)`,
      );
    }
    if (init.instances.length !== 1 || init.replicationFactor !== 1) {
      throw new BadRequestError(
        `this node runs alone: a placement of ${init.instances.length} instances with replicationFactor ${init.replicationFactor} needs the cluster mode; init with one instance and replicationFactor 1`,
      );
    }
    const instance = init.instances[0];
    return localPlacement({
      numShards: this.numShards,
      endpoint: instance.endpoint ?? `127.0.0.1:${this.port}`,
      hostname: instance.hostname ?? hostname(),
      port: instance.port ?? this.port,
      id: instance.id,
      isolationGroup: instance.isolationGroup,
      zone: instance.zone,
      weight: instance.weight,
    });
  }

  /**
   * database/create `type: "cluster"` (M3's create.go): with no placement,
   * the hosts make one (required then); with a placement, hosts given must
   * describe it as it is (M3 refuses changing a cluster placement here), and
   * hosts left out mean only the namespace is added. A dry run writes
   * neither the placement nor the namespace; it answers what would be.
   * (M3 passes Dry-Run only to its placement step and still adds the
   * namespace; a dry run that writes half is not one, so m3ts writes none.)
   */
  private async clusterDatabaseCreate(
    request: DatabaseCreateCluster,
    dryRun: boolean,
    res: ServerResponse,
  ): Promise<void> {
    const existing = await readRegistry(this.kv);
    if (existing.registry.namespaces[request.namespaceName] !== undefined) {
      throw new BadRequestError(
        `namespace ${JSON.stringify(request.namespaceName)} already exists`,
      );
    }
    const current = await this.kv.get(PLACEMENT_KEY);
    let placement: Placement;
    let version: number;
    let created = false;
    if (current !== null) {
      placement = current.value as Placement;
      version = current.version;
      if (request.instances.length > 0) refuseChangedPlacement(request, placement);
    } else {
      if (request.instances.length === 0) {
        throw new AdminRequestError(
          "hosts",
          undefined,
          "the cluster's hosts [{id, address, port, isolationGroup, zone, weight}] (required while there is no placement: database/create builds it from them)",
        );
      }
      placement = buildPlacement(
        request.instances,
        request.numShards as number,
        request.replicationFactor,
      );
      version = 0;
      created = true;
    }
    if (dryRun) {
      sendJson(res, 200, {
        namespace: { registry: withNamespace(existing, request.namespaceName, request.options) },
        placement: placementToJson(placement, version),
      });
      return;
    }
    if (created) {
      try {
        version = await this.kv.setIfNotExists(PLACEMENT_KEY, placement);
      } catch (e) {
        if (!(e instanceof KVKeyExistsError)) throw e;
        // Another request made the placement first: go on only if it is the one asked for.
        const again = await this.kv.get(PLACEMENT_KEY);
        if (again === null) throw e;
        placement = again.value as Placement;
        version = again.version;
        refuseChangedPlacement(request, placement);
      }
    }
    await this.addNamespace(request.namespaceName, request.options);
    const registry = await readRegistry(this.kv);
    sendJson(res, 200, {
      namespace: { registry: registry.registry },
      placement: placementToJson(placement, version),
    });
  }

  /** Adds a namespace to the KV registry (check-and-set; retried on a concurrent change). */
  private async addNamespace(name: string, options: NamespaceOptionsInput): Promise<void> {
    validateNamespaceName(name);
    const resolved = resolveNamespaceOptions(options);
    for (;;) {
      const current = await readRegistry(this.kv);
      if (current.registry.namespaces[name] !== undefined) {
        throw new ConflictError(`namespace ${JSON.stringify(name)} already exists`);
      }
      const namespaces = {
        ...current.registry.namespaces,
        [name]: namespaceOptionsToJson(resolved),
      };
      if (await this.casRegistry(current, { namespaces })) return;
    }
  }

  private async casRegistry(
    current: RegistryJson,
    next: RegistryJson["registry"],
  ): Promise<boolean> {
    try {
      if (current.version === 0) await this.kv.setIfNotExists(NAMESPACES_KEY, next);
      else await this.kv.checkAndSet(NAMESPACES_KEY, current.version, next);
      return true;
    } catch (e) {
      if (e instanceof KVVersionMismatchError || e instanceof KVKeyExistsError) return false;
      throw e;
    }
  }

  private ensureLocalPlacement(): Promise<{ placement: Placement; version: number }> {
    return ensureLocalPlacement(this.kv, this.localInstance());
  }

  private localInstance() {
    return {
      numShards: this.numShards,
      endpoint: `127.0.0.1:${this.port}`,
      hostname: hostname(),
      port: this.port,
    };
  }
}

/** M3's Dry-Run header: exactly "true" (after trimming) asks for a dry run. */
function isDryRun(req: IncomingMessage): boolean {
  const v = req.headers[DRY_RUN_HEADER];
  return typeof v === "string" && v.trim() === "true";
}

/** The registry as it would be with namespace `name` added. */
function withNamespace(
  current: RegistryJson,
  name: string,
  options: NamespaceOptionsInput,
): RegistryJson["registry"] {
  validateNamespaceName(name);
  return {
    namespaces: {
      ...current.registry.namespaces,
      [name]: namespaceOptionsToJson(resolveNamespaceOptions(options)),
    },
  };
}
