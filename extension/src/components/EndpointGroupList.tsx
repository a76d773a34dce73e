import { DEFAULT_POLICY, type EndpointGroupView } from '@funcx/protocol';
import * as React from 'react';
import type { EndpointsModel } from '../models/endpoints-model';

export interface IEndpointGroupListProps {
  groups: readonly EndpointGroupView[];
  /** The live endpoints, for each member's status now. */
  endpoints: EndpointsModel;
  /** The marked target as the user writes it (`group:NAME`). */
  selected: string | null;
  selectedLabel: string;
  onSelect: (group: EndpointGroupView) => void;
}

/** Endpoint groups: name, routing policy and how many of the members the user may use are online. */
export function EndpointGroupList(props: IEndpointGroupListProps): JSX.Element | null {
  if (props.groups.length === 0) return null;
  return (
    <ul className="funcx-GroupList" role="listbox" aria-label="Endpoint groups">
      {props.groups.map(group => {
        const selected = props.selected === group.ref;
        const usable = group.members.filter(member => member.usable);
        const online = usable.filter(member => props.endpoints.get(member.endpoint_id)?.status.online ?? member.online);
        const names = usable.map(member => member.ref).join(', ');
        return (
          <li
            key={group.group_id}
            className={`funcx-GroupItem${selected ? ' funcx-mod-selected' : ''}`}
            data-group-ref={group.ref}
            role="option"
            aria-selected={selected}
            tabIndex={0}
            title={`Endpoint group ${group.ref}: tasks go to one of ${names || 'no endpoint you may use'}`}
            onClick={() => props.onSelect(group)}
            onKeyDown={event => {
              if (event.key === 'Enter' || event.key === ' ') {
                event.preventDefault();
                props.onSelect(group);
              }
            }}
          >
            <div className="funcx-GroupItem-header">
              <span className="funcx-StatusDot" data-status={online.length > 0 ? 'online' : 'offline'} />
              <span className="funcx-GroupItem-name">{group.ref}</span>
              {selected && <span className="funcx-Chip">{props.selectedLabel}</span>}
              <span className="funcx-GroupItem-policy">{group.policy ?? DEFAULT_POLICY}</span>
            </div>
            <div className="funcx-GroupItem-members">
              {online.length} of {usable.length} online{names ? `: ${names}` : ''}
              {usable.length < group.members.length ? ` (+${group.members.length - usable.length} not shared with you)` : ''}
            </div>
          </li>
        );
      })}
    </ul>
  );
}
