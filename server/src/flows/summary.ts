import type { FlowDefinition, FlowRunEvent, FlowState, FlowStateSummary } from '@funcx/protocol';

/** Every state's label (`name`, `map/name` inside a Map's item processor) with its definition. */
export function stateLabels(definition: { States: { [name: string]: FlowState } }, prefix = ''): [string, FlowState][] {
  const labels: [string, FlowState][] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    labels.push([`${prefix}${name}`, state]);
    if (state.Type === 'Map') labels.push(...stateLabels(state.ItemProcessor, `${prefix}${name}/`));
  }
  return labels;
}

/**
 * What each state did, from a run's event log: its status now, how often it was entered, its latest input,
 * output, error and action. Inside a Map, iterations are counted by what each is doing; a Map counts its items
 * as succeeded when they reached an end of the item processor.
 */
export function summarizeStates(definition: FlowDefinition, events: FlowRunEvent[]): { [label: string]: FlowStateSummary } {
  const summaries: { [label: string]: FlowStateSummary } = {};
  const states = new Map(stateLabels(definition));
  for (const label of states.keys()) summaries[label] = { status: 'pending', visits: 0 };
  /** Per state inside a Map: what each iteration is doing in it. */
  const perItem = new Map<string, Map<number, 'active' | 'succeeded' | 'failed'>>();
  const itemStatus = (label: string, item: number, status: 'active' | 'succeeded' | 'failed') => {
    let items = perItem.get(label);
    if (!items) perItem.set(label, (items = new Map()));
    items.set(item, status);
  };
  for (const event of events) {
    const label = event.state;
    if (label === undefined) continue;
    const summary = (summaries[label] ??= { status: 'pending', visits: 0 });
    switch (event.type) {
      case 'state_entered':
        summary.visits++;
        summary.status = 'active';
        summary.entered_at = event.at;
        if (event.input !== undefined) summary.input = event.input;
        delete summary.ended_at;
        break;
      case 'action_started':
      case 'action_status':
        if (event.action) summary.action = event.action;
        break;
      case 'retry_scheduled':
        summary.status = 'active';
        break;
      case 'map_started':
        summary.iterations = { total: event.items ?? 0, active: 0, succeeded: 0, failed: 0 };
        for (const [other] of states) if (other.startsWith(`${label}/`)) perItem.delete(other);
        perItem.set(`${label}\0ended`, new Map());
        break;
      case 'state_succeeded':
        summary.status = 'succeeded';
        summary.ended_at = event.at;
        if (event.output !== undefined) summary.output = event.output;
        break;
      case 'state_failed':
        summary.status = 'failed';
        summary.ended_at = event.at;
        if (event.error) summary.error = event.error;
        break;
      default:
        break;
    }
    if (event.item === undefined) continue;
    if (event.type === 'state_entered' || event.type === 'retry_scheduled') itemStatus(label, event.item, 'active');
    else if (event.type === 'state_succeeded') {
      itemStatus(label, event.item, 'succeeded');
      const state = states.get(label);
      const mapLabel = label.slice(0, label.lastIndexOf('/'));
      if (state && state.Type !== 'Choice' && state.Type !== 'Fail' && state.End === true) perItem.get(`${mapLabel}\0ended`)?.set(event.item, 'succeeded');
    } else if (event.type === 'state_failed') itemStatus(label, event.item, 'failed');
  }
  for (const [key, items] of perItem) {
    if (key.includes('\0')) continue;
    const counts = { total: items.size, active: 0, succeeded: 0, failed: 0 };
    for (const status of items.values()) counts[status]++;
    const summary = summaries[key];
    summary.iterations = counts;
    summary.status = counts.active > 0 ? 'active' : counts.failed > 0 ? 'failed' : counts.succeeded > 0 ? 'succeeded' : summary.status;
  }
  for (const [label, summary] of Object.entries(summaries)) {
    const ended = perItem.get(`${label}\0ended`);
    if (!summary.iterations || !ended) continue;
    summary.iterations.succeeded = ended.size;
    summary.iterations.failed = summary.status === 'failed' ? Math.max(0, summary.iterations.total - ended.size) : 0;
    summary.iterations.active = summary.status === 'active' ? Math.max(0, summary.iterations.total - ended.size) : 0;
  }
  return summaries;
}
