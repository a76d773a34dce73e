import { describeBlock, endpointStatus, type BlockStatus, type EndpointView } from '@funcx/protocol';
import * as React from 'react';
import { formatLocation, heartbeatText } from './format';

export interface IEndpointRowProps {
  endpoint: EndpointView;
  /** Its name as the user writes it (owner/name when shared with them). */
  label: string;
  now: number;
  /** Marked as the notebook's default (sidebar) or as the choice (picker). */
  selected: boolean;
  selectedLabel: string;
  onSelect: (endpoint: EndpointView) => void;
  /** Lists its blocks (scheduler jobs) under a toggle: the sidebar does, the picker does not. */
  showBlocks?: boolean;
}

/** One endpoint: status dot, name, site, location, load and last heartbeat, and (in the sidebar) its blocks. */
export function EndpointRow(props: IEndpointRowProps): JSX.Element {
  const { endpoint, label, now, selected, selectedLabel, onSelect, showBlocks } = props;
  const status = endpointStatus(endpoint);
  const load = endpoint.status;
  return (
    <li
      className={`funcx-EndpointItem${selected ? ' funcx-mod-selected' : ''}`}
      data-endpoint-name={endpoint.name}
      data-endpoint-id={endpoint.endpoint_id}
      data-status={status}
      role="option"
      aria-selected={selected}
      tabIndex={0}
      title={`Endpoint ${label}: ${status}`}
      onClick={() => onSelect(endpoint)}
      onKeyDown={event => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          onSelect(endpoint);
        }
      }}
    >
      <div className="funcx-EndpointItem-header">
        <span className="funcx-StatusDot" data-status={status} aria-label={status} />
        <span className="funcx-EndpointItem-name">{label}</span>
        {selected && <span className="funcx-Chip">{selectedLabel}</span>}
        <span className="funcx-EndpointItem-status">{status}</span>
      </div>
      {(endpoint.site || endpoint.location) && (
        <div className="funcx-EndpointItem-where">
          {endpoint.site && <span className="funcx-EndpointItem-site">{endpoint.site}</span>}
          {endpoint.location && (
            <span className="funcx-EndpointItem-location">{formatLocation(endpoint.location)}</span>
          )}
        </div>
      )}
      <dl className="funcx-EndpointItem-load">
        <div>
          <dt>workers</dt>
          <dd className="funcx-EndpointItem-workers">
            {load.workers_busy}/{load.workers_total}
          </dd>
        </div>
        <div>
          <dt>queued</dt>
          <dd className="funcx-EndpointItem-queued">{load.queued}</dd>
        </div>
        <div>
          <dt>running</dt>
          <dd className="funcx-EndpointItem-running">{load.running}</dd>
        </div>
        {load.session_count !== undefined && load.session_count > 0 && (
          <div>
            <dt>sessions</dt>
            <dd className="funcx-EndpointItem-sessions" title="workers kept for %%funcx --session cells, every user's">
              {load.max_sessions !== undefined ? `${load.session_count}/${load.max_sessions}` : load.session_count}
            </dd>
          </div>
        )}
        <div>
          <dt>heartbeat</dt>
          <dd className="funcx-EndpointItem-heartbeat" title={heartbeatTitle(load.last_heartbeat)}>
            {heartbeatText(load, now)}
          </dd>
        </div>
      </dl>
      {showBlocks && endpoint.status.blocks && endpoint.status.blocks.length > 0 && (
        <Blocks blocks={endpoint.status.blocks} provider={endpoint.status.provider} endpointLabel={label} />
      )}
    </li>
  );
}

/** The endpoint's blocks, folded behind a toggle ("2 blocks (slurm)") that does not select the endpoint. */
function Blocks(props: { blocks: BlockStatus[]; provider?: string; endpointLabel: string }): JSX.Element {
  const { blocks, provider, endpointLabel } = props;
  const [open, setOpen] = React.useState(false);
  const listId = `funcx-blocks-${React.useId()}`;
  const toggle = (event: React.SyntheticEvent) => {
    event.stopPropagation();
    setOpen(!open);
  };
  return (
    <div className="funcx-Blocks">
      <button
        type="button"
        className="funcx-Blocks-toggle"
        aria-expanded={open}
        aria-controls={listId}
        title={`${open ? 'Hide' : 'Show'} the blocks of ${endpointLabel}`}
        onClick={toggle}
        onKeyDown={event => {
          // Enter and Space on the toggle open it; on the row they select the endpoint.
          if (event.key === 'Enter' || event.key === ' ') event.stopPropagation();
        }}
      >
        {blocks.length} block{blocks.length === 1 ? '' : 's'}
        {provider ? ` (${provider})` : ''}
      </button>
      {open && (
        <ul className="funcx-BlockList" id={listId} aria-label={`Blocks of ${endpointLabel}`}>
          {blocks.map(block => (
            <li key={block.job_id} className="funcx-Block" data-job-id={block.job_id} data-state={block.state}>
              <span className="funcx-Block-state" data-state={block.state}>
                {block.state}
              </span>
              <span className="funcx-Block-text">{describeBlock(block)}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function heartbeatTitle(lastHeartbeat: number | undefined): string {
  return lastHeartbeat === undefined
    ? 'No heartbeat received yet'
    : `Last heartbeat at ${new Date(lastHeartbeat).toLocaleTimeString()}`;
}
