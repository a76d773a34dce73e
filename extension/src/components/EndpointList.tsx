import type { EndpointView } from '@funcx/protocol';
import * as React from 'react';
import { EndpointRow } from './EndpointRow';

export interface IEndpointListProps {
  endpoints: readonly EndpointView[];
  /** The marked endpoint, as the user writes it (name, owner/name or id). */
  selected: string | null;
  /** How the user writes an endpoint (its name, or owner/name when it is shared with them). */
  refOf: (endpoint: EndpointView) => string;
  selectedLabel: string;
  onSelect: (endpoint: EndpointView) => void;
  emptyText: string;
  /** The time relative times are shown against (the view's clock). */
  now: number;
  /** Each endpoint's blocks under a toggle. */
  showBlocks?: boolean;
}

export function EndpointList(props: IEndpointListProps): JSX.Element {
  const { now } = props;
  if (props.endpoints.length === 0) {
    return <p className="funcx-Empty">{props.emptyText}</p>;
  }
  return (
    <ul className="funcx-EndpointList" role="listbox" aria-label="Endpoints">
      {props.endpoints.map(endpoint => (
        <EndpointRow
          key={endpoint.endpoint_id}
          endpoint={endpoint}
          label={props.refOf(endpoint)}
          now={now}
          selected={
            props.selected !== null &&
            (props.selected === props.refOf(endpoint) || props.selected === endpoint.endpoint_id)
          }
          selectedLabel={props.selectedLabel}
          onSelect={props.onSelect}
          showBlocks={props.showBlocks}
        />
      ))}
    </ul>
  );
}
