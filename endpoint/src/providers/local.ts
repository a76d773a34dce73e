import type { DispatchedTask, EndpointLoad, FunctionCode } from '@funcx/protocol';
import { Manager } from '../manager.js';
import type { Provider, ProviderOptions } from './provider.js';

/** This machine as the one block: one manager with N warm Python workers. */
export class LocalProvider implements Provider {
  readonly kind = 'local';
  private readonly manager: Manager;

  constructor(options: ProviderOptions) {
    this.manager = new Manager(
      { ...options.manager, size: options.workers, python: options.python, log: (line) => options.log('warn', line) },
      options.reporter,
    );
  }

  start(): Promise<void> {
    return this.manager.start();
  }

  submit(tasks: DispatchedTask[], functions: FunctionCode[]): void {
    this.manager.submit(tasks, functions);
  }

  cancel(taskIds: string[]): string[] {
    return this.manager.cancel(taskIds);
  }

  held(): string[] {
    return this.manager.held();
  }

  load(): EndpointLoad {
    return this.manager.load();
  }

  stop(): Promise<void> {
    return this.manager.stop();
  }
}
