import type { TokenKind } from './store.js';

/** Names of every key the Redis store uses, all under one prefix. */
export class RedisKeys {
  readonly users: string;
  readonly tokens: string;
  readonly functions: string;
  /** Hash of endpoint id to its record, and hash of `owner/name` to the id. */
  readonly endpoints: string;
  readonly endpointNames: string;
  /** Hash of endpoint group id to its record, and hash of `owner/name` to the id (each owner's names are unique). */
  readonly endpointGroups: string;
  readonly endpointGroupNames: string;
  /** Hash of group name to its record without members (they are a set each, see groupMembers). */
  readonly groups: string;
  /** Stream of audit entries (never trimmed). */
  readonly audit: string;
  /** Set of the ids of tasks not yet final. */
  readonly unfinished: string;
  /** Counters that give queue positions: appended ids count up, ids put back at the front count down. */
  readonly backSeq: string;
  readonly frontSeq: string;
  /** Set of endpoints that hold (or held) a lease, so expired ones can be found without scanning. */
  readonly leased: string;

  /**
   * `database`: the Redis database the store is in. Keys live in it, but pub/sub channels are one namespace for
   * the whole server, so the channels of a database other than 0 carry its number: hubs of two deployments on one
   * redis-server hear only their own.
   */
  constructor(
    readonly prefix: string,
    private readonly database = 0,
  ) {
    this.users = `${prefix}users`;
    this.tokens = `${prefix}tokens`;
    this.functions = `${prefix}functions`;
    this.endpoints = `${prefix}endpoints`;
    this.endpointNames = `${prefix}endpoint-names`;
    this.endpointGroups = `${prefix}endpoint-groups`;
    this.endpointGroupNames = `${prefix}endpoint-group-names`;
    this.groups = `${prefix}groups`;
    this.audit = `${prefix}audit`;
    this.unfinished = `${prefix}unfinished`;
    this.backSeq = `${prefix}back-seq`;
    this.frontSeq = `${prefix}front-seq`;
    this.leased = `${prefix}leased`;
  }

  tokensOf(kind: TokenKind, subject: string): string {
    return `${this.prefix}tokens-of:${kind}:${subject}`;
  }

  groupMembers(name: string): string {
    return `${this.prefix}group-members:${name}`;
  }

  /** Sorted set of a user's task ids by received time (PUT_TASKS builds the same name). */
  tasksOf(owner: string): string {
    return `${this.prefix}tasks-of:${owner}`;
  }

  task(taskId: string): string {
    return `${this.prefix}task:${taskId}`;
  }

  queue(endpointId: string): string {
    return `${this.prefix}queue:${endpointId}`;
  }

  inflight(endpointId: string): string {
    return `${this.prefix}inflight:${endpointId}`;
  }

  presence(endpointId: string): string {
    return `${this.prefix}presence:${endpointId}`;
  }

  lease(endpointId: string): string {
    return `${this.prefix}lease:${endpointId}`;
  }

  /** Pub/sub channel on which each hub publishes the events of its clients' tasks and endpoints for the others. */
  get eventsChannel(): string {
    return `${this.channelPrefix}client-events`;
  }

  /** Pub/sub channel of one user's task events, on which the hubs with clients of that user listen. */
  userEventsChannel(user: string): string {
    return `${this.channelPrefix}client-events:user:${user}`;
  }

  /** Pub/sub channel over which hubs tell each other that a queue has work or tasks are to be cancelled. */
  get relayChannel(): string {
    return `${this.channelPrefix}relay`;
  }

  /** Pub/sub channel of one hub (by its instance id): other hubs' requests for its endpoints, and their answers. */
  hubChannel(hubId: string): string {
    return `${this.channelPrefix}hub:${hubId}`;
  }

  private get channelPrefix(): string {
    return this.database === 0 ? this.prefix : `${this.prefix}db${this.database}:`;
  }
}
