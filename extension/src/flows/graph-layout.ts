import { graphlib, layout } from '@dagrejs/dagre';
import type { FlowDefinition, FlowState } from '@funcx/protocol';

/** What a node of the drawn graph stands for. */
export type GraphNodeKind = 'start' | 'end' | 'state' | 'map' | 'gather';

export interface GraphNode {
  id: string;
  kind: GraphNodeKind;
  /** The state it draws, as the run's summaries name it (`name`, `map/name`); none for start and end. */
  state?: string;
  /** What the node shows. */
  name: string;
  /** The state's type and, for actions, where they run. */
  detail?: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: 'next' | 'choice' | 'default' | 'catch';
  label?: string;
  points: { x: number; y: number }[];
}

/** The box around a Map's item processor. */
export interface GraphCluster {
  state: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface FlowGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  clusters: GraphCluster[];
  width: number;
  height: number;
}

const NODE_HEIGHT = 44;
const CHAR_WIDTH = 7.5;
const START = '\u0000start';
const END = '\u0000end';

const gatherId = (label: string) => `${label}\u0000gather`;
const clusterId = (label: string) => `${label}\u0000map`;

function nodeWidth(...texts: string[]): number {
  return Math.max(110, ...texts.map(text => text.length * CHAR_WIDTH + 28));
}

/** A state's type as the node's second line: `Action · funcx`, `Action · provider.example.org`, `Wait · 5 s`. */
export function stateDetail(state: FlowState): string {
  switch (state.Type) {
    case 'Action': {
      if (state.ActionUrl === 'funcx') return 'Action · funcX';
      try {
        return `Action · ${new URL(state.ActionUrl).host}`;
      } catch {
        return 'Action';
      }
    }
    case 'Wait':
      return state.Seconds !== undefined ? `Wait · ${state.Seconds} s` : 'Wait';
    default:
      return state.Type;
  }
}

/**
 * Lays a definition out as a top-to-bottom graph (dagre): a start and an end node, one node per state, and
 * each Map as a box holding its item processor between a node that fans the items out and one that gathers
 * their results. Edges follow Next, Choice rules (numbered), Default and Catch.
 */
export function layoutFlow(definition: FlowDefinition): FlowGraph {
  const graph = new graphlib.Graph({ compound: true, multigraph: true });
  graph.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 36, marginx: 12, marginy: 12 });
  const nodes = new Map<string, Omit<GraphNode, 'x' | 'y'>>();
  const edges: Omit<GraphEdge, 'points'>[] = [];
  const add = (node: Omit<GraphNode, 'x' | 'y'>, parent?: string) => {
    nodes.set(node.id, node);
    graph.setNode(node.id, { width: node.width, height: node.height });
    if (parent) graph.setParent(node.id, parent);
  };
  add({ id: START, kind: 'start', name: 'start', width: 56, height: 28 });
  add({ id: END, kind: 'end', name: 'end', width: 56, height: 28 });

  /** Adds a scope's states; returns the node id edges into a state go to. */
  const addScope = (scope: { StartAt: string; States: { [name: string]: FlowState } }, prefix: string, parent: string | undefined, entry: string, exit: string) => {
    const label = (name: string) => `${prefix}${name}`;
    const into = (name: string) => label(name);
    const outOf = (name: string) => (scope.States[name]?.Type === 'Map' ? gatherId(label(name)) : label(name));
    for (const [name, state] of Object.entries(scope.States)) {
      const id = label(name);
      const detail = stateDetail(state);
      if (state.Type === 'Map') {
        const cluster = clusterId(id);
        graph.setNode(cluster, {});
        if (parent) graph.setParent(cluster, parent);
        add({ id, kind: 'map', state: id, name, detail: 'Map · each item', width: nodeWidth(name, 'Map · each item'), height: NODE_HEIGHT }, cluster);
        add({ id: gatherId(id), kind: 'gather', state: id, name: 'gather results', width: 120, height: 28 }, cluster);
        addScope(state.ItemProcessor, `${id}/`, cluster, id, gatherId(id));
      } else {
        add({ id, kind: 'state', state: id, name, detail, width: nodeWidth(name, detail), height: NODE_HEIGHT }, parent);
      }
    }
    edges.push({ from: entry, to: into(scope.StartAt), kind: 'next' });
    for (const [name, state] of Object.entries(scope.States)) {
      const from = outOf(name);
      if ('Next' in state && state.Next !== undefined) edges.push({ from, to: into(state.Next), kind: 'next' });
      if ('End' in state && state.End === true) edges.push({ from, to: exit, kind: 'next' });
      if (state.Type === 'Choice') {
        state.Choices.forEach((rule, i) => {
          if (typeof rule.Next === 'string') edges.push({ from, to: into(rule.Next), kind: 'choice', label: String(i + 1) });
        });
        if (state.Default !== undefined) edges.push({ from, to: into(state.Default), kind: 'default', label: 'default' });
      }
      if ('Catch' in state && state.Catch) {
        for (const rule of state.Catch) edges.push({ from, to: into(rule.Next), kind: 'catch', label: 'catch' });
      }
    }
  };
  addScope(definition, '', undefined, START, END);

  edges.forEach((edge, i) => {
    if (nodes.has(edge.from) && nodes.has(edge.to)) graph.setEdge(edge.from, edge.to, { label: edge.label ?? '' }, String(i));
  });
  layout(graph);

  const placed: GraphNode[] = [...nodes.values()].map(node => {
    const position = graph.node(node.id);
    return { ...node, x: position.x, y: position.y };
  });
  const clusters: GraphCluster[] = [];
  for (const id of graph.nodes()) {
    if (!id.endsWith('\u0000map')) continue;
    const box = graph.node(id);
    clusters.push({ state: id.slice(0, -'\u0000map'.length), x: box.x - box.width / 2, y: box.y - box.height / 2, width: box.width, height: box.height });
  }
  const laidEdges: GraphEdge[] = [];
  edges.forEach((edge, i) => {
    const laid = graph.edge({ v: edge.from, w: edge.to, name: String(i) });
    if (laid) laidEdges.push({ ...edge, points: (laid.points ?? []).map((point: { x: number; y: number }) => ({ x: point.x, y: point.y })) });
  });
  const size = graph.graph();
  return { nodes: placed, edges: laidEdges, clusters, width: size.width ?? 0, height: size.height ?? 0 };
}
