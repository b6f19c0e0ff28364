// M3's admin API on the cluster KV: database/create, the namespace registry and
// the m3db placement, with M3's request and response shapes (M3's
// src/query/api/v1/handler/database/create.go, src/query/api/v1/handler/
// namespace/ and src/cluster/placementhandler/). Changes go to the KV with
// check-and-set; the node applies namespace changes when it sees them, as M3's
// dbnodes do.
import type { IncomingMessage, ServerResponse } from "node:http";
import { hostname } from "node:os";
import {
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
import { databaseCreateFromJson } from "./database-create.js";

const MAX_ADMIN_BODY_BYTES = 1 << 20;

export class AdminApi {
  private readonly kv: KV;
  private readonly numShards: number;
  private readonly port: number;

  constructor(deps: { kv: KV; numShards: number; port: number }) {
    this.kv = deps.kv;
    this.numShards = deps.numShards;
    this.port = deps.port;
  }

  async databaseCreate(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = durationToNanos(parseJsonBody(await readBody(req, MAX_ADMIN_BODY_BYTES)));
    const request = databaseCreateFromJson(body);
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
    const placement = localPlacement({
      numShards: this.numShards,
      endpoint: instance.endpoint ?? `127.0.0.1:${this.port}`,
      hostname: instance.hostname ?? hostname(),
      port: instance.port ?? this.port,
      id: instance.id,
      isolationGroup: instance.isolationGroup,
      zone: instance.zone,
      weight: instance.weight,
    });
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
