import { formatDuration, type FlowRunEvent, type FlowRunView as RunView, type FlowStateSummary, type JsonValue } from '@funcx/protocol';
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import { FlowGraph } from './FlowGraph';
import type { FlowRunModel } from './flow-run-model';

/** A flow run: its graph coloured live, the selected state's input, output and error, and the event log. */
export function FlowRunPanel({ model }: { model: FlowRunModel }): JSX.Element {
  const [selected, setSelected] = React.useState<string | null>(null);
  return (
    <UseSignal signal={model.changed}>
      {() => {
        const view = model.view;
        if (!view) {
          return <p className="funcx-Empty">{model.error ? `Could not load run ${model.runId}: ${model.error}` : `Loading run ${model.runId}…`}</p>;
        }
        const state = selected ?? firstActive(view);
        return (
          <div className="funcx-FlowRun" data-run-id={view.run_id} data-status={view.status}>
            <RunHeader view={view} onCancel={() => void model.cancel()} />
            {model.error && (
              <p className="funcx-Error" role="alert">
                {model.error}
              </p>
            )}
            <div className="funcx-FlowRun-body">
              <div className="funcx-FlowRun-graph">
                <FlowGraph definition={view.definition} states={view.states} selected={state} onSelect={setSelected} />
              </div>
              <aside className="funcx-FlowRun-detail">
                {state && view.states[state] ? <StateDetail name={state} summary={view.states[state]} /> : <RunDetail view={view} />}
                <EventLog events={view.events} />
              </aside>
            </div>
          </div>
        );
      }}
    </UseSignal>
  );
}

function firstActive(view: RunView): string | null {
  return Object.entries(view.states).find(([, summary]) => summary.status === 'active')?.[0] ?? null;
}

function RunHeader({ view, onCancel }: { view: RunView; onCancel: () => void }): JSX.Element {
  const took = view.completed_at !== undefined ? formatDuration(view.completed_at - view.created_at) : null;
  return (
    <header className="funcx-FlowRun-header">
      <h2>{view.flow_title}</h2>
      <span className="funcx-FlowRunStatus" data-status={view.status}>
        {view.cancel_requested ? 'cancelling' : view.status.toLowerCase()}
      </span>
      <span className="funcx-FlowRun-meta" title={view.run_id}>
        run {view.run_id.slice(0, 8)}
        {view.label ? ` · ${view.label}` : ''}
        {took ? ` · took ${took}` : ''}
      </span>
      {view.status === 'ACTIVE' && (
        <button className="jp-mod-styled jp-mod-warn funcx-FlowRun-cancel" onClick={onCancel}>
          Cancel run
        </button>
      )}
    </header>
  );
}

function RunDetail({ view }: { view: RunView }): JSX.Element {
  return (
    <section className="funcx-FlowState" aria-label="The run">
      <h3>Run</h3>
      <Value title="Input" value={view.input} />
      {view.output !== undefined && <Value title="Output" value={view.output} />}
      {view.error && <Value title="Error" value={view.error as unknown as JsonValue} error />}
      <p className="funcx-FlowHint">Click a state to see its input, output and error.</p>
    </section>
  );
}

function StateDetail({ name, summary }: { name: string; summary: FlowStateSummary }): JSX.Element {
  return (
    <section className="funcx-FlowState" data-state={name} aria-label={`State ${name}`}>
      <h3>
        {name} <span className="funcx-FlowRunStatus" data-status={summary.status}>{summary.status}</span>
      </h3>
      <p className="funcx-FlowState-facts">
        entered {summary.visits}×
        {summary.entered_at !== undefined && summary.ended_at !== undefined ? ` · took ${formatDuration(summary.ended_at - summary.entered_at)}` : ''}
        {summary.iterations ? ` · items ${summary.iterations.succeeded}/${summary.iterations.total} done, ${summary.iterations.active} running, ${summary.iterations.failed} failed` : ''}
        {summary.action ? ` · action ${summary.action.status}${summary.action.display_status && summary.action.display_status !== summary.action.status ? ` (${summary.action.display_status})` : ''}` : ''}
      </p>
      {summary.input !== undefined && <Value title="Input" value={summary.input} />}
      {summary.output !== undefined && <Value title="Output" value={summary.output} />}
      {summary.error && <Value title="Error" value={summary.error as unknown as JsonValue} error />}
    </section>
  );
}

function Value({ title, value, error }: { title: string; value: JsonValue; error?: boolean }): JSX.Element {
  return (
    <div className={`funcx-FlowValue${error ? ' funcx-FlowValue-error' : ''}`} data-value={title.toLowerCase()}>
      <h4>{title}</h4>
      <pre>{JSON.stringify(value, null, 2)}</pre>
    </div>
  );
}

function EventLog({ events }: { events: FlowRunEvent[] }): JSX.Element {
  const recent = events.slice(-50).reverse();
  return (
    <section className="funcx-FlowEvents" aria-label="Events">
      <h3>Events</h3>
      <ol>
        {recent.map(event => (
          <li key={event.seq} data-type={event.type}>
            <span className="funcx-FlowEvents-time">{new Date(event.at).toLocaleTimeString()}</span> {event.type.replace(/_/g, ' ')}
            {event.state ? ` ${event.state}${event.item !== undefined ? `[${event.item}]` : ''}` : ''}
            {event.error ? ` — ${event.error.Error}: ${event.error.Cause}` : ''}
          </li>
        ))}
      </ol>
    </section>
  );
}
