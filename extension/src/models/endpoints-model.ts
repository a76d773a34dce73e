import { endpointRef, type EndpointView } from '@funcx/protocol';
import { Signal, type ISignal } from '@lumino/signaling';


/** The endpoints the user can see, with their live status as the hub pushes it. */
export class EndpointsModel {
  private readonly byId = new Map<string, EndpointView>();
  private readonly _changed = new Signal<this, void>(this);
  private user: string | null = null;

  /** Emits after any endpoint was added, removed or changed status. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Every endpoint, sorted by name. */
  get endpoints(): readonly EndpointView[] {
    return [...this.byId.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The hub user, once known: a bare name then means one of their endpoints, `owner/name` anyone's. */
  setUser(user: string | null): void {
    if (user === this.user) return;
    this.user = user;
    this._changed.emit();
  }

  /** Looks an endpoint up by id, then as the user writes it: a name of their own, or `owner/name`. */
  get(ref: string): EndpointView | undefined {
    const byId = this.byId.get(ref);
    if (byId) return byId;
    const slash = ref.indexOf('/');
    const owner = slash === -1 ? this.user : ref.slice(0, slash);
    const name = slash === -1 ? ref : ref.slice(slash + 1);
    for (const endpoint of this.byId.values()) {
      if (endpoint.name === name && (owner === null || endpoint.owner === owner)) return endpoint;
    }
    return undefined;
  }

  /** How the user writes an endpoint: its name when it is their own, else `owner/name`. */
  refOf(endpoint: EndpointView): string {
    return this.user ? endpointRef(this.user, endpoint) : endpoint.name;
  }

  /** Replaces everything with a full listing. */
  reset(endpoints: EndpointView[]): void {
    this.byId.clear();
    for (const endpoint of endpoints) this.byId.set(endpoint.endpoint_id, endpoint);
    this._changed.emit();
  }

  /** Applies an `endpoint:status` message (each endpoint in full). */
  update(endpoints: EndpointView[]): void {
    if (endpoints.length === 0) return;
    for (const endpoint of endpoints) this.byId.set(endpoint.endpoint_id, endpoint);
    this._changed.emit();
  }

  remove(endpointIds: string[]): void {
    let removed = false;
    for (const id of endpointIds) removed = this.byId.delete(id) || removed;
    if (removed) this._changed.emit();
  }

}
