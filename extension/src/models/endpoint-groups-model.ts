import type { EndpointGroupView } from '@funcx/protocol';
import { Signal, type ISignal } from '@lumino/signaling';

/** The endpoint groups the user can route to, as the hub last listed them. */
export class EndpointGroupsModel {
  private _groups: EndpointGroupView[] = [];
  private readonly _changed = new Signal<this, void>(this);

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The user's own first, then those shared with them, as the hub orders them. */
  get groups(): readonly EndpointGroupView[] {
    return this._groups;
  }

  /** A group by how the user writes it (`group:NAME`, `group:OWNER/NAME`) or by id. */
  get(ref: string): EndpointGroupView | undefined {
    return this._groups.find(group => group.ref === ref || `group:${group.group_id}` === ref);
  }

  reset(groups: EndpointGroupView[]): void {
    this._groups = groups;
    this._changed.emit();
  }
}
