import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChoiceState, FlowDefinition } from '@funcx/protocol';
import { choose } from '../src/flows/language/choice.js';
import { stateOutput, selectInput } from '../src/flows/language/data-paths.js';
import { FlowFailure, errorMatches } from '../src/flows/language/flow-errors.js';
import { readPath } from '../src/flows/language/paths.js';
import { evaluateTemplate } from '../src/flows/language/templates.js';
import { definitionErrors } from '../src/flows/language/validate.js';

const valid: FlowDefinition = {
  Comment: 'square, then decide',
  StartAt: 'square',
  States: {
    square: { Type: 'Action', ActionUrl: 'funcx', Parameters: { endpoint: 'a', function_id: 'f', 'args.$': '$.numbers' }, ResultPath: '$.square', Next: 'check_result' },
    check_result: {
      Type: 'Choice',
      Choices: [{ Variable: '$.square.details.result', NumericGreaterThan: 10, Next: 'big' }],
      Default: 'small',
    },
    big: { Type: 'Pass', Result: 'big', End: true },
    small: { Type: 'Fail', Error: 'TooSmall', Cause: 'the square is small' },
  },
};

describe('flow definitions', () => {
  it('accepts a definition with an action, a choice, a pass and a fail', () => {
    assert.deepEqual(definitionErrors(valid), []);
  });

  it('names the state and the field of a Next that goes nowhere, with the states there are', () => {
    const definition = structuredClone(valid);
    (definition.States.check_result as ChoiceState).Default = 'done';
    const errors = definitionErrors(definition);
    assert.ok(errors.includes('States.check_result.Default: no state "done" (states: square, check_result, big, small)'), errors.join('\n'));
    assert.ok(errors.includes('States.small: no state leads here (it is not StartAt and no Next, Default, Choice or Catch names it)'), errors.join('\n'));
  });

  it('says that StartAt names no state', () => {
    assert.deepEqual(definitionErrors({ StartAt: 'go', States: { start: { Type: 'Pass', End: true } } }), [
      'StartAt: no state "go" (states: start)',
      'States.start: no state leads here (it is not StartAt and no Next, Default, Choice or Catch names it)',
    ]);
  });

  it('names an unknown field with the fields a state of that type has', () => {
    const errors = definitionErrors({ StartAt: 'a', States: { a: { Type: 'Pass', Nxt: 'b', End: true } } });
    assert.equal(errors.length, 1);
    assert.match(errors[0], /^States\.a: unknown field "Nxt" \(fields of a Pass state: Type, Comment, InputPath, OutputPath, Next, End, Parameters, Result, ResultPath\)$/);
  });

  it('names an unknown state type', () => {
    assert.deepEqual(definitionErrors({ StartAt: 'a', States: { a: { Type: 'Task', End: true } } }), [
      'States.a.Type: must be one of Action, Pass, Choice, Wait, Fail, ExpressionEval, Map',
    ]);
  });

  it('wants either Next or End on states that go on', () => {
    const errors = definitionErrors({ StartAt: 'a', States: { a: { Type: 'Pass' }, b: { Type: 'Pass', Next: 'a', End: true } } });
    assert.ok(errors.includes('States.a: give either Next (the state that follows) or "End": true'));
    assert.ok(errors.includes('States.b: has both Next and "End": true; keep one'));
  });

  it('checks that Choice rules are well formed', () => {
    const errors = definitionErrors({
      StartAt: 'c',
      States: {
        c: {
          Type: 'Choice',
          Choices: [
            { Variable: '$.x', NumericEquals: 'three', Next: 'end' },
            { NumericEquals: 3, Next: 'end' },
            { Variable: '$.x', NumericEquals: 3, StringEquals: 'a', Next: 'end' },
            { And: [{ Variable: '$.x', IsPresent: true, Next: 'end' }], Next: 'end' },
            { Variable: '$.x', BooleanEquals: true },
            { Variable: 'x', IsNull: false, Next: 'end' },
          ],
        },
        end: { Type: 'Pass', End: true },
      },
    });
    assert.deepEqual(errors, [
      'States.c.Choices[0].NumericEquals: must be a number, not "three"',
      'States.c.Choices[1]: the comparison NumericEquals needs a Variable (the JSONPath of the value to compare)',
      'States.c.Choices[2]: a rule makes exactly one comparison (such as NumericGreaterThan) or combines rules with one of And, Or, Not; this one has NumericEquals, StringEquals',
      'States.c.Choices[3].And[0].Next: only the rules directly in Choices have Next, not rules inside And, Or or Not',
      'States.c.Choices[4]: a Choice rule needs Next (the state to go to when it holds)',
      'States.c.Choices[5].Variable: "x" is not a JSONPath: start it with "$" (the state\'s input) or "$$" (the context)',
    ]);
  });

  it('checks paths, templates, waits and the funcx action parameters', () => {
    const errors = definitionErrors({
      StartAt: 'a',
      States: {
        a: { Type: 'Action', ActionUrl: 'funcx', Parameters: { 'endpoint.$': '$.ep[?(@.x)]' }, ResultPath: '$.list[*]', Next: 'b' },
        b: { Type: 'ExpressionEval', Parameters: { 'sum.=': 'a +' }, Next: 'c' },
        c: { Type: 'Wait', Seconds: 3, SecondsPath: '$.s', Next: 'd' },
        d: { Type: 'Action', ActionUrl: 'ftp://x', End: true },
      },
    });
    assert.deepEqual(errors, [
      'States.a.ResultPath: "$.list[*]" must name one place in the state\'s input, such as "$", "$.result" or "$.results[0]" (no wildcards, "..", unions or slices)',
      'States.a.Parameters.endpoint.$: "$.ep[?(@.x)]" is not a JSONPath of the supported subset ($.a.b, $[\'a b\'], $.list[0], $.list[*], $..a, [a,b], [1:3]; no filters)',
      'States.a.Parameters: the funcx action needs either "function_id" (a registered function) or "source" (inline code), not both or neither',
      'States.b.Parameters.sum.=: "a +" is not a valid expression: Unexpected end of expression (at character 3)',
      'States.c: a Wait gives exactly one of Seconds, SecondsPath, Timestamp, TimestampPath; this one has Seconds, SecondsPath',
      'States.d.ActionUrl: "ftp://x" is neither "funcx" (run a function on an endpoint), "data" (the data store) nor an http(s) URL of an action provider',
    ]);
  });

  it('checks the item processor of a Map as its own set of states', () => {
    const errors = definitionErrors({
      StartAt: 'each',
      States: {
        each: { Type: 'Map', ItemsPath: '$.items', ItemProcessor: { StartAt: 'one', States: { one: { Type: 'Pass', Next: 'each' } } }, End: true },
      },
    });
    assert.deepEqual(errors, ['States.each.ItemProcessor.States.one.Next: no state "each" (states: one)']);
  });
});

describe('flow data', () => {
  const context = { Execution: { Id: 'run-1' }, Map: { Item: { Index: 2, Value: 'c' } } };

  it('fills Parameters from JSONPaths, expressions and the context', async () => {
    const input = { numbers: [3, 4], who: { name: 'ada' } };
    const result = await evaluateTemplate(
      { 'args.$': '$.numbers', 'total.=': '$sum(numbers)', greeting: { 'name.$': '$.who.name', fixed: 1 }, 'run.$': '$$.Execution.Id', 'all.$': '$.numbers[*]' },
      input,
      context,
      'States.a.Parameters',
    );
    assert.deepEqual(result, { args: [3, 4], total: 7, greeting: { name: 'ada', fixed: 1 }, run: 'run-1', all: [3, 4] });
  });

  it('fails with States.Runtime naming the path, where it was used and the fields there are', async () => {
    await assert.rejects(evaluateTemplate({ 'x.$': '$.missing' }, { present: 1 }, context, 'States.a.Parameters'), (error: FlowFailure) => {
      assert.equal(error.flowError.Error, 'States.Runtime');
      assert.equal(error.flowError.Cause, "States.a.Parameters.x.$: $.missing matched nothing in the state's input (its fields: present)");
      return true;
    });
  });

  it('puts the result at ResultPath in the raw input, then OutputPath selects', () => {
    const raw = { a: 1, keep: { b: 2 } };
    assert.deepEqual(stateOutput({ ResultPath: '$.keep.result' }, raw, 42, context, 'S'), { a: 1, keep: { b: 2, result: 42 } });
    assert.deepEqual(raw, { a: 1, keep: { b: 2 } }, 'the input itself is not changed');
    assert.deepEqual(stateOutput({}, raw, 42, context, 'S'), 42);
    assert.deepEqual(stateOutput({ ResultPath: null }, raw, 42, context, 'S'), raw);
    assert.deepEqual(stateOutput({ ResultPath: '$.r', OutputPath: '$.r' }, raw, [1], context, 'S'), [1]);
    assert.deepEqual(stateOutput({ ResultPath: "$['odd key'][1]" }, {}, 'x', context, 'S'), { 'odd key': [null, 'x'] });
    assert.deepEqual(selectInput('$.keep', raw, context, 'S'), { b: 2 });
    assert.deepEqual(selectInput(null, raw, context, 'S'), {});
    assert.throws(() => stateOutput({ ResultPath: '$.a.b' }, raw, 1, context, 'S'), /States.ResultPathMatchFailure|goes into a number/);
  });

  it('chooses the first rule that holds, with And, Or, Not and paths', () => {
    const state: ChoiceState = {
      Type: 'Choice',
      Choices: [
        { And: [{ Variable: '$.n', IsNumeric: true }, { Variable: '$.n', NumericGreaterThanPath: '$.limit' }], Next: 'over' },
        { Or: [{ Variable: '$.name', StringMatches: 'tmp*.csv' }, { Not: { Variable: '$.flag', IsPresent: true } }], Next: 'odd' },
      ],
      Default: 'fine',
    };
    assert.equal(choose(state, { n: 5, limit: 3, flag: true, name: 'x' }, {}, 'S'), 'over');
    assert.equal(choose(state, { n: 1, limit: 3, flag: true, name: 'tmp-1.csv' }, {}, 'S'), 'odd');
    assert.equal(choose(state, { n: 1, limit: 3, name: 'a' }, {}, 'S'), 'odd');
    assert.equal(choose(state, { n: 1, limit: 3, flag: false, name: 'a' }, {}, 'S'), 'fine');
    assert.throws(() => choose({ Type: 'Choice', Choices: [{ Variable: '$.n', NumericEquals: 1, Next: 'x' }] }, { n: 2 }, {}, 'S'), /States.NoChoiceMatched/);
    assert.throws(() => choose(state, { limit: 3 }, {}, 'S'), /\$\.n matched nothing/);
  });

  it('matches errors by name, States.ALL, States.TaskFailed and States.Timeout', () => {
    assert.ok(errorMatches(['States.ALL'], 'Anything'));
    assert.ok(errorMatches(['States.TaskFailed'], 'ActionFailedException'));
    assert.ok(!errorMatches(['States.TaskFailed'], 'ActionTimeout'));
    assert.ok(errorMatches(['States.Timeout'], 'ActionTimeout'));
    assert.ok(errorMatches(['A', 'B'], 'B'));
    assert.ok(!errorMatches(['A'], 'B'));
  });

  it('reads indefinite paths as lists and definite ones as values', () => {
    const data = { xs: [{ v: 1 }, { v: 2 }], deep: { a: { v: 3 } } };
    assert.deepEqual(readPath('$.xs[*].v', data, {}, 'S'), [1, 2]);
    assert.deepEqual(readPath('$..v', data, {}, 'S'), [1, 2, 3]);
    assert.deepEqual(readPath('$.xs[0:1]', data, {}, 'S'), [{ v: 1 }]);
    assert.equal(readPath('$.xs[1].v', data, {}, 'S'), 2);
    assert.deepEqual(readPath('$', data, {}, 'S'), data);
  });
});
