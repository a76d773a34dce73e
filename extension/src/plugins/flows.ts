import { ILayoutRestorer, type JupyterFrontEnd, type JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, InputDialog, MainAreaWidget, Notification, WidgetTracker } from '@jupyterlab/apputils';
import { CommandIDs } from '../commands';
import { FlowRunWidget } from '../flows/flow-run-widget';
import { funcxIcon } from '../icons';
import { IFuncxService } from '../tokens';

/** Flow runs in the main area: `funcx:open-flow-run` opens one, `funcx:list-flow-runs` picks one of the latest. */
export const flowsPlugin: JupyterFrontEndPlugin<void> = {
  id: '@funcx/jupyterlab:flows',
  description: 'Flow runs drawn as graphs, each state coloured live by its status; from the palette and the Endpoints sidebar.',
  autoStart: true,
  requires: [IFuncxService],
  optional: [ICommandPalette, ILayoutRestorer],
  activate: (app: JupyterFrontEnd, service: IFuncxService, palette: ICommandPalette | null, restorer: ILayoutRestorer | null) => {
    const tracker = new WidgetTracker<MainAreaWidget<FlowRunWidget>>({ namespace: 'funcx-flow-run' });
    const open = (runId: string) => {
      const existing = tracker.find(widget => widget.content.model.runId === runId);
      if (existing) {
        app.shell.activateById(existing.id);
        return existing;
      }
      const widget = new MainAreaWidget({ content: new FlowRunWidget(service, runId) });
      widget.id = `funcx-flow-run-${runId}`;
      widget.addClass('funcx-FlowRunArea');
      widget.title.label = `Flow run ${runId.slice(0, 8)}`;
      widget.title.caption = `Flow run ${runId}`;
      widget.title.icon = funcxIcon;
      widget.title.closable = true;
      widget.content.model.changed.connect(model => {
        if (model.view) widget.title.label = `${model.view.flow_title} · ${model.view.status.toLowerCase()}`;
      });
      void tracker.add(widget);
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      return widget;
    };

    app.commands.addCommand(CommandIDs.openFlowRun, {
      label: args => (args['runId'] ? `Flow run ${String(args['runId']).slice(0, 8)}` : 'funcX: Open Flow Run'),
      caption: 'Show a flow run as a graph of its states, live',
      execute: args => {
        const runId = args['runId'];
        if (typeof runId !== 'string' || runId === '') return app.commands.execute(CommandIDs.listFlowRuns);
        return open(runId);
      }
    });
    app.commands.addCommand(CommandIDs.listFlowRuns, {
      label: 'funcX: Open a Flow Run…',
      caption: 'Pick one of your latest flow runs and show it',
      icon: funcxIcon,
      execute: async () => {
        let runs;
        try {
          runs = (await service.client.flows.runs({ limit: 30 })).runs;
        } catch (error) {
          Notification.error(`Could not list your flow runs: ${(error as Error).message}`, { autoClose: 8000 });
          return;
        }
        if (runs.length === 0) {
          Notification.info('No flow runs yet: start one with `funcx flow run FLOW_ID`.', { autoClose: 5000 });
          return;
        }
        const labels = runs.map(run => `${run.label ?? run.flow_title} · ${run.status.toLowerCase()} · ${new Date(run.created_at).toLocaleString()} · ${run.run_id.slice(0, 8)}`);
        const choice = await InputDialog.getItem({ title: 'Open a flow run', items: labels });
        if (!choice.button.accept || choice.value === null) return;
        const run = runs[labels.indexOf(choice.value)];
        if (run) open(run.run_id);
      }
    });
    palette?.addItem({ command: CommandIDs.listFlowRuns, category: 'funcX' });
    if (restorer) {
      void restorer.restore(tracker, {
        command: CommandIDs.openFlowRun,
        args: widget => ({ runId: widget.content.model.runId }),
        name: widget => widget.content.model.runId
      });
    }
  }
};
