import { endpointStatus, type EndpointView } from '@funcx/protocol';
import * as React from 'react';

import { markerLabel, markerRadius } from './status';

export interface IPulse {
  /** Increases with every task event, so the pulse element remounts and its animation restarts. */
  count: number;
  kind: 'started' | 'finished';
}

export interface IMarkerProps {
  endpoint: EndpointView;
  x: number;
  y: number;
  selected: boolean;
  pulse: IPulse | undefined;
  tooltipId: string | undefined;
  onSelect(endpoint: EndpointView): void;
  onHover(endpointId: string | null): void;
  onFocusChange(endpointId: string | null, x: number, y: number): void;
}

/** One endpoint on the map: a real button, so Tab reaches it and Enter/Space select it. */
export function Marker(props: IMarkerProps): JSX.Element {
  const { endpoint, x, y, selected, pulse } = props;
  const radius = markerRadius(endpoint);
  const id = endpoint.endpoint_id;
  return (
    <button
      type="button"
      className="funcx-MapMarker"
      data-endpoint-name={endpoint.name}
      data-endpoint-id={id}
      data-status={endpointStatus(endpoint)}
      data-selected={selected ? 'true' : 'false'}
      aria-label={markerLabel(endpoint)}
      aria-pressed={selected}
      aria-describedby={props.tooltipId}
      style={{ left: x, top: y, width: 2 * radius, height: 2 * radius }}
      onClick={() => props.onSelect(endpoint)}
      onMouseEnter={() => props.onHover(id)}
      onMouseLeave={() => props.onHover(null)}
      onFocus={() => props.onFocusChange(id, x, y)}
      onBlur={() => props.onFocusChange(null, x, y)}
    >
      <span className="funcx-MapMarker-dot" aria-hidden="true" />
      <span className="funcx-MapMarker-name" aria-hidden="true">
        {endpoint.name}
      </span>
      {pulse && (
        <span
          key={pulse.count}
          className="funcx-MapMarker-pulse"
          data-kind={pulse.kind}
          aria-hidden="true"
        />
      )}
    </button>
  );
}
