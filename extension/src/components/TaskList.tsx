import type { TaskRouting } from '@funcx/protocol';
import * as React from 'react';
import { isFinalState } from '@funcx/protocol';
import { TasksModel, type TaskEntry } from '../models/tasks-model';
import { moveFocusWithArrows } from './list-keys';
import type { EndpointsModel } from '../models/endpoints-model';
import { duration } from './format';

export interface ITaskListProps {
  tasks: readonly TaskEntry[];
  endpoints: EndpointsModel;
  /** The time running tasks' durations are shown against (the view's clock). */
  now: number;
  /** Shows the notebook cell a task ran for (tasks with a `cell_id`). */
  onShowCell?: (task: TaskEntry) => void;
  /** Forgets the finished tasks. */
  onClear?: () => void;
}

/** Whether a task matches what was typed in the filter: its label, endpoint, state or id. */
export function matchesFilter(task: TaskEntry, endpointName: string, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const text = [task.label ?? '', endpointName, task.state, task.task_id].join(' ').toLowerCase();
  return words.every(word => text.includes(word));
}

/**
 * The latest tasks, filtered by what is typed above them; each expands to where it was routed and why and the
 * time it spent in each state, and links to the cell it ran for.
 */
export function TaskList(props: ITaskListProps): JSX.Element {
  const [filter, setFilter] = React.useState('');
  const name = (task: TaskEntry) =>
    (task.endpoint_id ? props.endpoints.get(task.endpoint_id)?.name : undefined) ?? task.endpoint_id?.slice(0, 8) ?? '';
  const shown = props.tasks.filter(task => matchesFilter(task, name(task), filter));
  return (
    <div className="funcx-Tasks">
      <div className="funcx-TaskTools">
        <input
          className="jp-mod-styled funcx-TaskFilter"
          type="search"
          placeholder="Filter tasks"
          title="Filter by label, endpoint, state or task id"
          aria-label="Filter tasks"
          value={filter}
          onChange={event => setFilter(event.target.value)}
        />
        {props.onClear && (
          <button
            className="jp-mod-styled funcx-TaskClear"
            title="Forget the finished tasks (running ones stay)"
            disabled={!props.tasks.some(task => isFinalState(task.state))}
            onClick={props.onClear}
          >
            Clear
          </button>
        )}
      </div>
      {props.tasks.length === 0 ? (
        <p className="funcx-Empty">No tasks since this page opened. Run a cell on an endpoint to see it here.</p>
      ) : shown.length === 0 ? (
        <p className="funcx-Empty">No task matches “{filter}”.</p>
      ) : (
        <TaskItems {...props} tasks={shown} />
      )}
    </div>
  );
}

function TaskItems(props: ITaskListProps): JSX.Element {
  const { now } = props;
  const [expanded, setExpanded] = React.useState<string | null>(null);
  return (
    <ul className="funcx-TaskList" onKeyDown={moveFocusWithArrows}>
      {props.tasks.map(task => {
        const endpoint = task.endpoint_id ? props.endpoints.get(task.endpoint_id) : undefined;
        const open = expanded === task.task_id;
        return (
          <li
            key={task.task_id}
            className="funcx-TaskItem"
            data-task-id={task.task_id}
            data-task-state={task.state}
          >
            <button
              className="funcx-TaskItem-summary"
              aria-expanded={open}
              title={`Task ${task.task_id}`}
              onClick={() => setExpanded(open ? null : task.task_id)}
            >
              <span className="funcx-TaskItem-caret">{open ? '▾' : '▸'}</span>
              <span className="funcx-TaskState" data-task-state={task.state}>
                {task.state}
              </span>
              <span className="funcx-TaskItem-endpoint">{endpoint?.name ?? task.endpoint_id?.slice(0, 8) ?? ''}</span>
              <span className="funcx-TaskItem-duration">{duration(TasksModel.duration(task, now))}</span>
            </button>
            {task.label &&
              (task.cell_id && props.onShowCell ? (
                <button
                  className="funcx-TaskItem-label funcx-TaskItem-cellLink"
                  title="Show the cell this task ran for"
                  onClick={() => props.onShowCell!(task)}
                >
                  {task.label}
                </button>
              ) : (
                <div className="funcx-TaskItem-label">{task.label}</div>
              ))}
            {open && task.routing && <RoutingDetails routing={task.routing} endpoints={props.endpoints} />}
            {open && <TaskBreakdown task={task} />}
          </li>
        );
      })}
    </ul>
  );
}

/** Why the hub sent a task where it did: the policy, the group (or the endpoints named), its reason, the candidates. */
function RoutingDetails({ routing, endpoints }: { routing: TaskRouting; endpoints: EndpointsModel }): JSX.Element {
  const name = (id: string) => {
    const endpoint = endpoints.get(id);
    return endpoint ? endpoints.refOf(endpoint) : id.slice(0, 8);
  };
  return (
    <dl className="funcx-TaskRouting" data-policy={routing.policy}>
      <dt>routed</dt>
      <dd className="funcx-TaskRouting-how">
        by {routing.policy} among {routing.group ?? `${routing.candidates.length} endpoints named`}
      </dd>
      <dt>reason</dt>
      <dd className="funcx-TaskRouting-reason">{routing.reason}</dd>
      <dt>among</dt>
      <dd className="funcx-TaskRouting-candidates">{routing.candidates.map(name).join(', ')}</dd>
    </dl>
  );
}

function TaskBreakdown({ task }: { task: TaskEntry }): JSX.Element {
  const steps = TasksModel.breakdown(task);
  const start = steps[0]?.at ?? 0;
  return (
    <table className="funcx-TaskBreakdown">
      <tbody>
        {steps.map(step => (
          <tr key={step.state} data-state={step.state}>
            <td>{step.state}</td>
            <td className="funcx-TaskBreakdown-at">+{duration(step.at - start) || '0 ms'}</td>
            <td className="funcx-TaskBreakdown-spent">{step.spent !== undefined ? duration(step.spent) : ''}</td>
          </tr>
        ))}
        <tr className="funcx-TaskBreakdown-id">
          <td colSpan={3}>{task.task_id}</td>
        </tr>
      </tbody>
    </table>
  );
}
