import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowDefinition } from '@funcx/protocol';
import { layoutFlow } from '../src/flows/graph-layout';

const definition: FlowDefinition = {
  StartAt: 'square',
  States: {
    square: { Type: 'Action', ActionUrl: 'funcx', Parameters: {}, Next: 'decide' },
    decide: { Type: 'Choice', Choices: [{ Variable: '$.x', NumericGreaterThan: 1, Next: 'each' }], Default: 'oops' },
    each: {
      Type: 'Map',
      ItemProcessor: { StartAt: 'inner', States: { inner: { Type: 'Pass', End: true } } },
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'oops' }],
      End: true
    },
    oops: { Type: 'Fail' }
  }
};

describe('flow graph layout', () => {
  const graph = layoutFlow(definition);
  const node = (state: string) => graph.nodes.find(n => n.state === state && n.kind !== 'gather')!;

  it('draws every state, a start and an end, and a Map as a box with its item processor inside', () => {
    assert.deepEqual(graph.nodes.filter(n => n.kind === 'state' || n.kind === 'map').map(n => n.state).sort(), ['decide', 'each', 'each/inner', 'oops', 'square']);
    assert.equal(graph.nodes.filter(n => n.kind === 'start' || n.kind === 'end').length, 2);
    assert.equal(graph.clusters.length, 1);
    const box = graph.clusters[0];
    const inner = node('each/inner');
    assert.ok(inner.x > box.x && inner.x < box.x + box.width && inner.y > box.y && inner.y < box.y + box.height, 'the inner state sits in the Map box');
  });

  it('follows Next, numbered Choice rules, Default and Catch, top to bottom', () => {
    const kinds = graph.edges.map(e => `${e.kind}${e.label ? `:${e.label}` : ''}`).sort();
    assert.deepEqual(kinds, ['catch:catch', 'choice:1', 'default:default', 'next', 'next', 'next', 'next', 'next']);
    assert.ok(node('square').y < node('decide').y && node('decide').y < node('each').y);
    assert.ok(graph.edges.every(e => e.points.length >= 2));
    assert.equal(node('square').detail, 'Action · funcX');
    assert.ok(graph.width > 0 && graph.height > 0);
  });
});
