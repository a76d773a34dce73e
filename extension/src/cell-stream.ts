import type { FuncxError } from '@funcx/protocol';
import type { HubClient } from '@funcx/client/hub-client';
import { StreamFollower } from '@funcx/client/stream-follower';
import type * as nbformat from '@jupyterlab/nbformat';
import { StreamItemsView, type StreamItemsSink } from './stream-items-view';

/** What a cell's stream writes to, and how it says what keeps it from reading. */
export interface CellStreamSink extends StreamItemsSink {
  /** A note under the cell while reading fails for a reason that may pass (null: it reads again). */
  note(text: string | null): void;
  /** Whether anyone will see what it reads (the cell was not run again, closed or deleted). */
  readonly current: boolean;
}

/** The stderr line a cell ends its stream with when the rest of it cannot be read. */
export function streamStoppedOutput(error: FuncxError, shown: number): nbformat.IOutput {
  return {
    output_type: 'stream',
    name: 'stderr',
    text: `Stopped reading the task's items (${error.code}: ${error.message}); the ${shown} item${shown === 1 ? '' : 's'} above ${shown === 1 ? 'is' : 'are'} all that was read.\n`
  };
}

/**
 * A running cell's generator items: followed from the hub once the task says it streams, shown in the cell as
 * they arrive, drained when the task ends, started over for a new attempt.
 */
export class CellStream {
  private readonly view: StreamItemsView;
  private readonly follower: StreamFollower;

  constructor(client: HubClient, taskId: string, private readonly sink: CellStreamSink) {
    this.view = new StreamItemsView(sink);
    this.follower = new StreamFollower(
      (from, waitMs) => client.readItems(taskId, from, waitMs),
      {
        onItems: items => this.view.add(items),
        onProblem: (error, fatal) => {
          if (fatal) {
            this.sink.note(null);
            this.view.flush();
            this.sink.add(streamStoppedOutput(error, this.view.count));
          } else if (error.code !== 'FUNCX_HUB_UNREACHABLE') {
            // An unreachable hub has its own note under the cell.
            this.sink.note(`Reading the task's items: ${error.message}; trying again.`);
          }
        },
        onRecovered: () => this.sink.note(null)
      },
      () => this.sink.current
    );
  }

  /** The task said it streams: reading starts (once). */
  start(): void {
    this.follower.start();
  }

  /** The task was handed out again and its outputs cleared: its stream starts over, shown from the start. */
  restart(): void {
    this.view.reset();
    this.follower.restart();
  }

  /** The task ended: reads what is left of its stream, then shows it all. */
  async finish(): Promise<void> {
    await this.follower.finish();
    this.view.flush();
  }

  /** Stops reading (the task was cancelled, or the cell is run again); what was shown stays. */
  stop(): void {
    this.follower.stop();
    this.view.flush();
  }
}
