// The cluster placements the admin API builds: from a placement init's
// instances or database/create's hosts, through the placement algorithm,
// with its refusals as 400s; and database/create's check that hosts given on
// a cluster that has a placement describe that placement (M3's create.go).
import {
  AdminRequestError,
  InvalidPlacementInputError,
  initialPlacement,
  NotEnoughIsolationGroupsError,
  type Placement,
  type PlacementInit,
  type PlacementInstanceInput,
} from "../../cluster/index.js";
import { BadRequestError } from "../http.js";
import { type DatabaseCreateCluster, DEFAULT_HOST_ZONE } from "./database-create.js";

/** initialPlacement with its refusals as 400s (their messages name the field or the hosts and groups). */
export function buildPlacement(
  instances: readonly PlacementInstanceInput[],
  numShards: number,
  replicaFactor: number,
): Placement {
  try {
    return initialPlacement({ instances, numShards, replicaFactor });
  } catch (e) {
    if (e instanceof NotEnoughIsolationGroupsError || e instanceof InvalidPlacementInputError) {
      throw new BadRequestError(e.message);
    }
    throw e;
  }
}

/**
 * A cluster placement init's instances, complete: the endpoint and the
 * isolation group are required (a replica's group is what keeps its copies
 * apart; M3 would take an empty one as a group of its own), the zone
 * defaults to the service zone, the weight to 1, the hostname and port to
 * the endpoint's.
 */
export function clusterPlacementOf(init: PlacementInit): Placement {
  const instances = init.instances.map((i, k): PlacementInstanceInput => {
    const at = `instances[${k}]`;
    const endpoint = i.endpoint?.trim() ?? "";
    const colon = endpoint.lastIndexOf(":");
    const endpointPort = Number(endpoint.slice(colon + 1));
    if (colon <= 0 || !Number.isInteger(endpointPort) || endpointPort < 1 || endpointPort > 65535) {
      throw new AdminRequestError(
        `${at}.endpoint`,
        i.endpoint,
        'the node\'s "host:port" (required in a cluster placement)',
      );
    }
    const isolationGroup = i.isolationGroup?.trim() ?? "";
    if (isolationGroup === "") {
      throw new AdminRequestError(
        `${at}.isolationGroup`,
        i.isolationGroup,
        "the instance's isolation group, such as its rack or zone (required in a cluster placement)",
      );
    }
    return {
      id: i.id as string,
      isolationGroup,
      zone: i.zone?.trim() || DEFAULT_HOST_ZONE,
      weight: i.weight ?? 1,
      endpoint,
      shardSetId: 0,
      hostname: i.hostname ?? endpoint.slice(0, colon),
      port: i.port ?? endpointPort,
    };
  });
  return buildPlacement(instances, init.numShards, init.replicationFactor);
}

/**
 * database/create with hosts on a cluster that has a placement: the request
 * must describe that placement (shards, replication factor, each host's
 * group, endpoint, port, weight, zone and hostname), as M3's create.go
 * requires; a difference is a 400 saying which.
 */
export function refuseChangedPlacement(request: DatabaseCreateCluster, existing: Placement): void {
  const differences: string[] = [];
  if (request.numShards !== undefined && request.numShards !== existing.numShards) {
    differences.push(`numShards ${request.numShards}, placement has ${existing.numShards}`);
  }
  if (request.replicationFactor !== existing.replicaFactor) {
    differences.push(
      `replicationFactor ${request.replicationFactor}, placement has ${existing.replicaFactor}`,
    );
  }
  const ids = Object.keys(existing.instances).sort();
  const asked = request.instances.map((i) => i.id).sort();
  if (ids.join("\u0000") !== asked.join("\u0000")) {
    differences.push(`hosts ${asked.join(", ")}, placement has ${ids.join(", ")}`);
  } else {
    for (const want of request.instances) {
      const have = existing.instances[want.id];
      for (const field of [
        "isolationGroup",
        "endpoint",
        "port",
        "weight",
        "zone",
        "hostname",
      ] as const) {
        if (want[field] !== have[field]) {
          differences.push(
            `host ${want.id} ${field} ${JSON.stringify(want[field])}, placement has ${JSON.stringify(have[field])}`,
          );
        }
      }
    }
  }
  if (differences.length > 0) {
    throw new BadRequestError(
      `a cluster placement exists and the request differs from it (${differences.join("; ")}): database/create does not change a cluster placement; leave hosts out to add only the namespace`,
    );
  }
}
