import { endpointStatus, type EndpointView } from '@funcx/protocol';
import * as React from 'react';

import { heartbeatText, warmImagesText } from '../components/format';

export interface ITooltipProps {
  id: string;
  endpoint: EndpointView;
  x: number;
  y: number;
  /** Width of the map viewport, to open the tooltip towards the side with room. */
  viewportWidth: number;
  offset: number;
  /** The map's clock, for the age of the last heartbeat. */
  now: number;
}

/** Details of the marker under the pointer or keyboard focus. */
export function Tooltip(props: ITooltipProps): JSX.Element {
  const { endpoint, x, y, offset, now } = props;
  const status = endpoint.status;
  const openLeft = x > props.viewportWidth * 0.6;
  const style: React.CSSProperties = openLeft
    ? { right: props.viewportWidth - x + offset, top: y }
    : { left: x + offset, top: y };
  const heartbeat = status.last_heartbeat;
  return (
    <div id={props.id} role="tooltip" className="funcx-MapTooltip" style={style}>
      <div className="funcx-MapTooltip-title">
        <span className="funcx-MapTooltip-name">{endpoint.name}</span>
        <span className="funcx-MapTooltip-status" data-status={endpointStatus(endpoint)}>
          {endpointStatus(endpoint)}
        </span>
      </div>
      <dl className="funcx-MapTooltip-facts">
        <dt>Site</dt>
        <dd>{endpoint.site || 'not given'}</dd>
        <dt>Workers busy</dt>
        <dd>
          {status.workers_busy} of {status.workers_total}
        </dd>
        <dt>Queued</dt>
        <dd>{status.queued}</dd>
        <dt>Running</dt>
        <dd>{status.running}</dd>
        <dt>Warm images</dt>
        <dd>{status.warm_images.length ? warmImagesText(status.warm_images) : 'none'}</dd>
        <dt>Last heartbeat</dt>
        <dd title={heartbeat === undefined ? undefined : new Date(heartbeat).toLocaleString()}>
          {heartbeatText(status, now)}
        </dd>
      </dl>
    </div>
  );
}
