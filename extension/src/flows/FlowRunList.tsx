import { formatAgo, type FlowRunSummary } from '@funcx/protocol';
import * as React from 'react';
import type { IFuncxService } from '../tokens';

/** How often the sidebar asks for the latest runs. */
const RUNS_POLL_MS = 3_000;
const RUNS_SHOWN = 10;

/** The user's latest flow runs, for the Endpoints sidebar; a click opens the run's view. */
export function FlowRunList(props: { service: IFuncxService; now: number; onOpen: (runId: string) => void }): JSX.Element | null {
  const [runs, setRuns] = React.useState<FlowRunSummary[] | null>(null);
  const { service } = props;
  React.useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    const load = async () => {
      try {
        const page = await service.client.flows.runs({ limit: RUNS_SHOWN });
        if (!stopped) setRuns(page.runs);
      } catch {
        // The connection status above says what is wrong; try again later.
      }
      if (!stopped) timer = window.setTimeout(() => void load(), RUNS_POLL_MS);
    };
    void load();
    const reload = () => void load();
    service.connectionChanged.connect(reload);
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      service.connectionChanged.disconnect(reload);
    };
  }, [service]);
  if (runs === null) return null;
  return (
    <section className="funcx-FlowRunList" aria-label="Flow runs">
      <h3 className="funcx-Section">Flow runs</h3>
      {runs.length === 0 ? (
        <p className="funcx-Empty">No flow runs yet: start one with funcx flow run FLOW_ID.</p>
      ) : (
        <ul className="funcx-TaskList">
          {runs.map(run => (
            <li key={run.run_id} className="funcx-TaskItem">
              <button className="funcx-TaskItem-summary funcx-FlowRunItem" data-run-id={run.run_id} title={`Open run ${run.run_id}`} onClick={() => props.onOpen(run.run_id)}>
                <span className="funcx-FlowRunStatus" data-status={run.status}>
                  {run.status.toLowerCase()}
                </span>
                <span className="funcx-FlowRunItem-title">{run.label ?? run.flow_title}</span>
                <span className="funcx-FlowRunItem-age">{formatAgo(run.created_at, props.now)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
