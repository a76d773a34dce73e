import { endpointStatus, type EndpointView } from '@funcx/protocol';
import * as React from 'react';

import { isEndpoint, markerLabel } from './status';

export interface IUnlocatedListProps {
  endpoints: readonly EndpointView[];
  selected: string | null;
  onSelect(endpoint: EndpointView): void;
}

/** Endpoints configured without --location: they cannot be placed, but can still be chosen. */
export function UnlocatedList(props: IUnlocatedListProps): JSX.Element | null {
  if (props.endpoints.length === 0) {
    return null;
  }
  return (
    <section className="funcx-MapUnlocated" aria-labelledby="funcx-MapUnlocated-heading">
      <h3 id="funcx-MapUnlocated-heading" className="funcx-MapUnlocated-heading">
        Without a location ({props.endpoints.length})
      </h3>
      <ul className="funcx-MapUnlocated-list">
        {props.endpoints.map(endpoint => {
          const selected = isEndpoint(endpoint, props.selected);
          return (
            <li key={endpoint.endpoint_id}>
              <button
                type="button"
                className="funcx-MapListItem"
                data-endpoint-name={endpoint.name}
                data-status={endpointStatus(endpoint)}
                data-selected={selected ? 'true' : 'false'}
                aria-pressed={selected}
                aria-label={markerLabel(endpoint)}
                onClick={() => props.onSelect(endpoint)}
              >
                <span className="funcx-MapListItem-dot" aria-hidden="true" />
                <span className="funcx-MapListItem-name">{endpoint.name}</span>
                <span className="funcx-MapListItem-site">{endpoint.site || ''}</span>
              </button>
            </li>
          );
        })}
      </ul>
      <p className="funcx-MapUnlocated-hint">
        Place one with <code>funcx-endpoint configure NAME --location LAT,LON --site TEXT</code>
      </p>
    </section>
  );
}
