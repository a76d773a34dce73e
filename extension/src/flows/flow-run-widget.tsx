import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';
import type { IFuncxService } from '../tokens';
import { FlowRunModel } from './flow-run-model';
import { FlowRunPanel } from './FlowRunView';

/** The content of a flow run's main-area tab. */
export class FlowRunWidget extends ReactWidget {
  readonly model: FlowRunModel;

  constructor(service: IFuncxService, runId: string) {
    super();
    this.model = new FlowRunModel(service, runId);
    this.addClass('funcx-FlowRunContent');
  }

  protected render(): JSX.Element {
    return <FlowRunPanel model={this.model} />;
  }

  override dispose(): void {
    this.model.dispose();
    super.dispose();
  }
}
