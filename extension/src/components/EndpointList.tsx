import type { EndpointView } from '@funcx/protocol';
import * as React from 'react';
import { EndpointRow } from './EndpointRow';
import { useNow } from './use-now';

export interface IEndpointListProps {
  endpoints: readonly EndpointView[];
  /** Name of the marked endpoint. */
  selected: string | null;
  selectedLabel: string;
  onSelect: (endpoint: EndpointView) => void;
  emptyText: string;
}

export function EndpointList(props: IEndpointListProps): JSX.Element {
  const now = useNow();
  if (props.endpoints.length === 0) {
    return <p className="funcx-Empty">{props.emptyText}</p>;
  }
  return (
    <ul className="funcx-EndpointList" role="listbox" aria-label="Endpoints">
      {props.endpoints.map(endpoint => (
        <EndpointRow
          key={endpoint.endpoint_id}
          endpoint={endpoint}
          now={now}
          selected={
            props.selected !== null &&
            (props.selected === endpoint.name || props.selected === endpoint.endpoint_id)
          }
          selectedLabel={props.selectedLabel}
          onSelect={props.onSelect}
        />
      ))}
    </ul>
  );
}
