import {
  FuncxError,
  endpointRef,
  groupRef,
  isGroupRef,
  type EndpointRecord,
  type EndpointTarget,
  type FunctionRecord,
} from '@funcx/protocol';
import type { Access } from '../auth/access.js';
import type { EndpointGroupDirectory } from '../endpoint-groups/directory.js';
import type { EndpointDirectory } from '../endpoints/directory.js';
import type { RoutingCandidate } from '../routing/policy.js';
import { candidateOf, type Route, type Router } from '../routing/router.js';
import type { Store } from '../store/store.js';
import { assertFunctionAllowed, runsFunction } from './allowed-functions.js';
import { assertCanRun, canRun, noneCanRun } from './capabilities.js';

function keyOf(target: string | string[]): string {
  return typeof target === 'string' ? target : `\0${target.join('\0')}`;
}

/** Services a batch's routed targets are resolved with. */
export interface TargetServices {
  store: Store;
  endpoints: EndpointDirectory;
  endpointGroups: EndpointGroupDirectory;
  access: Access;
  router: Router;
}

/**
 * The routed targets of one batch (endpoint groups, and endpoints named together), each distinct one resolved
 * once, and once per function it runs (for the functions an endpoint allows). Every route of the batch shares one
 * candidate per endpoint, built from its live status when the batch first needs it. A target naming one endpoint
 * is not routed and does not come here.
 */
export class BatchRoutes {
  private readonly routes = new Map<string, Map<FunctionRecord, Route>>();
  private readonly candidates = new Map<string, RoutingCandidate>();
  /** Every endpoint a routed task of the batch may run on, and every group it named (for the audit log). */
  readonly endpointIds = new Set<string>();
  readonly groups = new Set<string>();

  constructor(
    private readonly user: string,
    private readonly services: TargetServices,
    /** The batch's endpoints by the reference its submissions gave, shared with its unrouted targets. */
    private readonly endpointsByRef: Map<string, EndpointRecord>,
  ) {}

  async route(target: EndpointTarget, fn: FunctionRecord): Promise<Route> {
    const key = keyOf(target);
    let byFunction = this.routes.get(key);
    if (!byFunction) this.routes.set(key, (byFunction = new Map()));
    let route = byFunction.get(fn);
    if (!route) byFunction.set(fn, (route = typeof target === 'string' ? await this.groupRoute(target, fn) : await this.listRoute(target, fn)));
    return route;
  }

  private async endpoint(ref: string): Promise<EndpointRecord> {
    let endpoint = this.endpointsByRef.get(ref);
    if (!endpoint) this.endpointsByRef.set(ref, (endpoint = await this.services.endpoints.resolve(this.user, ref)));
    return endpoint;
  }

  /** Endpoints named together: each must be one the user may use (the usual 404 or 403 otherwise). */
  private async listRoute(refs: string[], fn: FunctionRecord): Promise<Route> {
    const group = refs.find(isGroupRef);
    if (group !== undefined) {
      throw new FuncxError('FUNCX_BAD_REQUEST', `"${group}" is an endpoint group: name a group alone ("endpoint": "${group}"), or list its endpoints`);
    }
    const records: EndpointRecord[] = [];
    for (const ref of refs) {
      const endpoint = await this.endpoint(ref);
      if (!records.includes(endpoint)) records.push(endpoint);
    }
    const ids = records.map((endpoint) => endpoint.endpoint_id);
    return this.routeAmong(this.runners(records, fn, `the endpoints ${refs.map((ref) => `"${ref}"`).join(', ')}`), `list\0${[...ids].sort().join(',')}`);
  }

  /** A group's members that the user may use (and that still exist), in the group's order. */
  private async groupRoute(ref: string, fn: FunctionRecord): Promise<Route> {
    const { endpoints, endpointGroups, access } = this.services;
    const group = await endpointGroups.resolve(this.user, ref);
    const written = groupRef(this.user, group);
    this.groups.add(written);
    if (group.endpoints.length === 0) {
      throw new FuncxError(
        'FUNCX_ENDPOINT_GROUP_EMPTY',
        `Endpoint group "${written}" has no endpoints, so there is nowhere to route to: ` +
          (group.owner === this.user
            ? `add some (funcx endpoint-groups set ${group.name} ENDPOINT..., or PUT /v1/endpoint-groups/${group.name} {"endpoints": [...]})`
            : `ask its owner (${group.owner}) to add some`),
      );
    }
    const records = (await Promise.all(group.endpoints.map((id) => endpoints.get(id)))).filter(
      (endpoint): endpoint is EndpointRecord => endpoint !== undefined && access.canUse(this.user, endpoint),
    );
    if (records.length === 0) {
      throw new FuncxError(
        'FUNCX_FORBIDDEN',
        `None of the ${group.endpoints.length} endpoints of group "${written}" is one you may use: using a group does not share its ` +
          `endpoints; ask their owners to share them with you`,
      );
    }
    const route = await this.routeAmong(this.runners(records, fn, `the endpoints of group "${written}" that you may use`), `group\0${group.group_id}`);
    if (group.policy !== undefined) route.policy = group.policy;
    route.group = written;
    return route;
  }

  /** The endpoints that run the function (allow it, and run its language and isolation); a 403 or 409 when none does. */
  private runners(records: EndpointRecord[], fn: FunctionRecord, among: string): EndpointRecord[] {
    const allowing = records.filter((endpoint) => runsFunction(endpoint, fn));
    const runners = allowing.filter((endpoint) => canRun(endpoint, fn));
    if (runners.length > 0) return runners;
    if (allowing.length === 1) assertCanRun(this.user, allowing[0], fn);
    if (allowing.length > 0) throw noneCanRun(among, fn);
    if (records.length === 1) assertFunctionAllowed(this.user, records[0], fn);
    const which = fn.ephemeral ? 'inline source (register the function and ask for its id to be allowed)' : `function ${fn.function_id} ("${fn.name}")`;
    throw new FuncxError(
      'FUNCX_FUNCTION_NOT_PERMITTED',
      `None of ${among} runs ${which}: each lists the ` +
        'functions it allows, and their owners or admins may allow it',
    );
  }

  private async routeAmong(records: EndpointRecord[], stateKey: string): Promise<Route> {
    const { endpoints, store } = this.services;
    const fresh = records.filter((endpoint) => !this.candidates.has(endpoint.endpoint_id));
    if (fresh.length > 0) {
      const ids = fresh.map((endpoint) => endpoint.endpoint_id);
      const [views, inFlight, queued] = await Promise.all([
        Promise.all(fresh.map((endpoint) => endpoints.view(endpoint))),
        store.inFlightCounts(ids),
        Promise.all(ids.map((id) => store.queueLength(id))),
      ]);
      fresh.forEach((endpoint, i) => {
        this.candidates.set(endpoint.endpoint_id, candidateOf(views[i], endpointRef(this.user, endpoint), inFlight[i] + queued[i]));
      });
    }
    const candidates = records.map((endpoint) => this.candidates.get(endpoint.endpoint_id)!);
    for (const endpoint of records) this.endpointIds.add(endpoint.endpoint_id);
    return {
      candidates,
      candidateIds: candidates.map((candidate) => candidate.endpoint_id),
      state: this.services.router.state(`${this.user}\0${stateKey}`),
    };
  }
}
