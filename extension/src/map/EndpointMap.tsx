import type { EndpointView } from '@funcx/protocol';
import type { ISignal } from '@lumino/signaling';
import * as React from 'react';

import { worldShapes } from './geometry';
import { layoutMarkers, type IProjected } from './layout';
import { Marker, type IPulse } from './Marker';
import type { IMapSource, TaskActivity } from './source';
import { hasLocation, isEndpoint, markerRadius } from './status';
import { useNow } from '../components/use-now';
import { Tooltip } from './Tooltip';
import { UnlocatedList } from './UnlocatedList';
import { useElementSize, usePanZoom } from './use-pan-zoom';
import { ZoomControls } from './ZoomControls';

export interface IEndpointMapProps {
  source: IMapSource;
  onSelect(endpoint: EndpointView): void;
}

const TOOLTIP_ID = 'funcx-MapTooltip';
/** The endpoint map: world, markers, tooltip, zoom controls and the list of endpoints without a location. */
export function EndpointMap(props: IEndpointMapProps): JSX.Element {
  const { source } = props;
  useRenderOn(source.endpointsChanged);
  useRenderOn(source.defaultChanged);
  useRenderOn(source.connectionChanged);
  const pulses = usePulses(source.taskActivity);
  const viewport = React.useRef<HTMLDivElement>(null);
  const size = useElementSize(viewport);
  const shapes = React.useMemo(() => worldShapes(size), [size.width, size.height]);
  const panZoom = usePanZoom(viewport, size);
  const tooltip = useTooltipTarget();
  // The map's one clock: the tooltip's "last heartbeat" age moves on between status events.
  const now = useNow();

  const endpoints = [...source.endpoints].sort((a, b) => a.name.localeCompare(b.name));
  const located = endpoints.filter(hasLocation);
  const unlocated = endpoints.filter(endpoint => !hasLocation(endpoint));
  const selected = source.defaultEndpoint;
  const { transform } = panZoom;
  const placed = layoutMarkers(projectEndpoints(located, shapes.project), transform);
  const activeId = tooltip.active;
  const active = placed.find(item => item.endpoint.endpoint_id === activeId);

  return (
    <div className="funcx-MapLayout">
      <MapHeader source={source} endpoints={endpoints} />
      <div className="funcx-MapBody">
        <div
          ref={viewport}
          className="funcx-MapViewport"
          tabIndex={0}
          role="group"
          aria-label="World map of endpoints. Arrow keys pan, plus and minus zoom, 0 resets."
          data-zoom={transform.k.toFixed(2)}
          data-stale={source.connectionState === 'connected' ? undefined : 'true'}
          onKeyDown={panZoom.onKeyDown}
          onPointerDown={panZoom.onPointerDown}
          onPointerMove={panZoom.onPointerMove}
          onPointerUp={panZoom.onPointerUp}
          onPointerCancel={panZoom.onPointerUp}
        >
          {size.width > 0 && (
            <svg className="funcx-MapWorld" width={size.width} height={size.height} aria-hidden="true">
              <g transform={`translate(${transform.x},${transform.y}) scale(${transform.k})`}>
                <path className="funcx-MapWorld-sea" d={shapes.sphere} />
                <path className="funcx-MapWorld-graticule" d={shapes.graticule} vectorEffect="non-scaling-stroke" />
                <path className="funcx-MapWorld-land" d={shapes.land} />
                <path className="funcx-MapWorld-borders" d={shapes.borders} vectorEffect="non-scaling-stroke" />
                <path className="funcx-MapWorld-outline" d={shapes.sphere} vectorEffect="non-scaling-stroke" />
              </g>
            </svg>
          )}
          <div className="funcx-MapMarkers">
            {size.width > 0 &&
              placed.map(item => {
                const { x, y } = item;
                const id = item.endpoint.endpoint_id;
                return (
                  <Marker
                    key={id}
                    endpoint={item.endpoint}
                    x={x}
                    y={y}
                    selected={isEndpoint(item.endpoint, selected)}
                    pulse={pulses[id]}
                    tooltipId={activeId === id ? TOOLTIP_ID : undefined}
                    onSelect={props.onSelect}
                    onHover={tooltip.setHovered}
                    onFocusChange={(focusId, fx, fy) => {
                      tooltip.setFocused(focusId);
                      const outside = fx < 0 || fy < 0 || fx > size.width || fy > size.height;
                      if (focusId && outside) {
                        panZoom.centreOn(fx, fy);
                      }
                    }}
                  />
                );
              })}
          </div>
          {active && (
            <Tooltip
              id={TOOLTIP_ID}
              endpoint={active.endpoint}
              x={active.x}
              y={active.y}
              viewportWidth={size.width}
              offset={markerRadius(active.endpoint) + 6}
              now={now}
            />
          )}
          <ZoomControls panZoom={panZoom} />
          {endpoints.length === 0 && (
            <p className="funcx-MapEmpty">
              No endpoints yet. Add one with{' '}
              <code>funcx-endpoint configure NAME --location LAT,LON --site TEXT</code>, then{' '}
              <code>funcx-endpoint start NAME</code>.
            </p>
          )}
        </div>
        <UnlocatedList endpoints={unlocated} selected={selected} onSelect={props.onSelect} />
      </div>
    </div>
  );
}

function MapHeader(props: { source: IMapSource; endpoints: readonly EndpointView[] }): JSX.Element {
  const { source } = props;
  const chosen = props.endpoints.find(endpoint => isEndpoint(endpoint, source.defaultEndpoint));
  let selection: string;
  if (!source.notebookName) {
    selection = 'Open a notebook, then click a marker to make it that notebook\u2019s default endpoint.';
  } else if (source.defaultEndpoint) {
    selection = `Default endpoint of ${source.notebookName}: ${chosen?.name ?? source.defaultEndpoint}`;
  } else {
    selection = `${source.notebookName} has no default endpoint: click a marker to choose one.`;
  }
  return (
    <div className="funcx-MapHeader">
      <span className="funcx-MapSelection" role="status" aria-live="polite">
        {selection}
      </span>
      {source.connectionState !== 'connected' && (
        <span className="funcx-MapConnection" role="alert" data-state={source.connectionState}>
          {source.connectionState === 'connecting' ? 'Connecting to the hub' : 'Not connected to the hub'}
          : markers show the last status known.{source.connectionError ? ` ${source.connectionError}` : ''}
        </span>
      )}
      <ul className="funcx-MapLegend" aria-label="Legend">
        {(['online', 'busy', 'offline'] as const).map(status => (
          <li key={status} className="funcx-MapLegend-item" data-status={status}>
            <span className="funcx-MapLegend-swatch" aria-hidden="true" />
            {status}
          </li>
        ))}
        <li className="funcx-MapLegend-item">size: workers</li>
      </ul>
    </div>
  );
}

/** Each located endpoint with its unzoomed map coordinates. */
function projectEndpoints(
  endpoints: readonly EndpointView[],
  project: (lon: number, lat: number) => [number, number] | null
): IProjected[] {
  const projected: IProjected[] = [];
  for (const endpoint of endpoints) {
    const point = project(endpoint.location!.lon, endpoint.location!.lat);
    if (point) {
      projected.push({ endpoint, point });
    }
  }
  return projected;
}

/**
 * Which marker's tooltip shows: the one most recently hovered or focused, so a keyboard user who tabs to
 * a marker sees its details even while the mouse rests on another.
 */
function useTooltipTarget() {
  const [state, setState] = React.useState<{ hovered: string | null; focused: string | null; active: string | null }>(
    { hovered: null, focused: null, active: null }
  );
  const change = (key: 'hovered' | 'focused', other: 'hovered' | 'focused') => (id: string | null) =>
    setState(previous => ({
      ...previous,
      [key]: id,
      active: id ?? (previous.active === previous[key] ? previous[other] : previous.active)
    }));
  return {
    active: state.active,
    setHovered: React.useCallback(change('hovered', 'focused'), []),
    setFocused: React.useCallback(change('focused', 'hovered'), [])
  };
}

function useRenderOn(signal: ISignal<unknown, unknown>): void {
  const [, bump] = React.useReducer((n: number) => n + 1, 0);
  React.useEffect(() => {
    const slot = () => bump();
    signal.connect(slot);
    return () => {
      signal.disconnect(slot);
    };
  }, [signal]);
}

function usePulses(signal: ISignal<unknown, TaskActivity>): Record<string, IPulse> {
  const [pulses, setPulses] = React.useState<Record<string, IPulse>>({});
  React.useEffect(() => {
    const slot = (_: unknown, activity: TaskActivity) =>
      setPulses(previous => ({
        ...previous,
        [activity.endpoint_id]: {
          count: (previous[activity.endpoint_id]?.count ?? 0) + 1,
          kind: activity.kind
        }
      }));
    signal.connect(slot);
    return () => {
      signal.disconnect(slot);
    };
  }, [signal]);
  return pulses;
}
