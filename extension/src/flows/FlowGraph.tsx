import type { FlowDefinition, FlowStateSummary } from '@funcx/protocol';
import * as React from 'react';
import { layoutFlow, type GraphEdge, type GraphNode } from './graph-layout';

export interface IFlowGraphProps {
  definition: FlowDefinition;
  states: { [label: string]: FlowStateSummary };
  selected: string | null;
  onSelect: (state: string) => void;
}

/** The run's states as an SVG graph from its definition, each node coloured by its status (style/flows.css). */
export function FlowGraph(props: IFlowGraphProps): JSX.Element {
  const graph = React.useMemo(() => layoutFlow(props.definition), [props.definition]);
  return (
    <svg
      className="funcx-FlowGraph"
      viewBox={`0 0 ${graph.width} ${graph.height}`}
      width={graph.width}
      height={graph.height}
      role="img"
      aria-label="The states of the flow and their status"
    >
      <defs>
        <marker id="funcx-FlowArrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" className="funcx-FlowArrowHead" />
        </marker>
      </defs>
      {graph.clusters.map(cluster => (
        <rect
          key={cluster.state}
          className="funcx-FlowCluster"
          data-state={cluster.state}
          data-status={props.states[cluster.state]?.status ?? 'pending'}
          x={cluster.x}
          y={cluster.y}
          width={cluster.width}
          height={cluster.height}
          rx={8}
        />
      ))}
      {graph.edges.map((edge, i) => (
        <Edge key={i} edge={edge} />
      ))}
      {graph.nodes.map(node => (
        <Node
          key={node.id}
          node={node}
          summary={node.state ? props.states[node.state] : undefined}
          selected={node.state !== undefined && node.state === props.selected}
          onSelect={props.onSelect}
        />
      ))}
    </svg>
  );
}

function Edge({ edge }: { edge: GraphEdge }): JSX.Element | null {
  if (edge.points.length === 0) return null;
  const d = edge.points.map((point, i) => `${i === 0 ? 'M' : 'L'} ${point.x} ${point.y}`).join(' ');
  const middle = edge.points[Math.floor(edge.points.length / 2)];
  return (
    <g className="funcx-FlowEdge" data-kind={edge.kind}>
      <path d={d} markerEnd="url(#funcx-FlowArrow)" />
      {edge.label && (
        <text x={middle.x + 4} y={middle.y - 3} className="funcx-FlowEdgeLabel">
          {edge.label}
        </text>
      )}
    </g>
  );
}

function Node(props: { node: GraphNode; summary: FlowStateSummary | undefined; selected: boolean; onSelect: (state: string) => void }): JSX.Element {
  const { node, summary } = props;
  const x = node.x - node.width / 2;
  const y = node.y - node.height / 2;
  if (node.kind === 'start' || node.kind === 'end') {
    return (
      <g className="funcx-FlowTerminal" data-kind={node.kind}>
        <rect x={x} y={y} width={node.width} height={node.height} rx={node.height / 2} />
        <text x={node.x} y={node.y + 4} textAnchor="middle">
          {node.name}
        </text>
      </g>
    );
  }
  const status = summary?.status ?? 'pending';
  const iterations = summary?.iterations;
  const subtitle = node.kind === 'map' && iterations ? `${iterations.succeeded}/${iterations.total} items` : node.detail;
  const select = () => node.state && props.onSelect(node.state);
  return (
    <g
      className="funcx-FlowNode"
      data-state={node.kind === 'gather' ? undefined : node.state}
      data-kind={node.kind}
      data-status={status}
      data-selected={props.selected || undefined}
      role="button"
      tabIndex={0}
      aria-label={`${node.name}: ${status}`}
      onClick={select}
      onKeyDown={event => {
        if (event.key === 'Enter' || event.key === ' ') select();
      }}
    >
      <title>{`${node.state}: ${status}${summary?.visits ? `, entered ${summary.visits}×` : ''}`}</title>
      <rect x={x} y={y} width={node.width} height={node.height} rx={6} />
      <text x={node.x} y={subtitle ? node.y - 3 : node.y + 4} textAnchor="middle" className="funcx-FlowNodeName">
        {node.name}
      </text>
      {subtitle && (
        <text x={node.x} y={node.y + 13} textAnchor="middle" className="funcx-FlowNodeDetail">
          {subtitle}
        </text>
      )}
    </g>
  );
}
