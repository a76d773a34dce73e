import type { Socket } from 'node:net';
import {
  MAX_MANAGER_FRAME_BYTES,
  encodeFrame,
  type DaemonFrame,
  type EndpointLoad,
  type ManagerFrame,
  type ManagerRegister,
} from '@funcx/protocol';
import { readFrames } from './frame-reader.js';
import { decodeManagerFrame } from './manager-frames.js';
import type { HeldTask } from './reporter.js';
import { ReplyProblem } from './worker-replies.js';

/** A task the daemon holds: in its queue, or at one manager. */
export interface DaemonTask extends HeldTask {
  link?: ManagerLink;
  /** How many times a manager was lost while it held this task. */
  systemFailures: number;
  /** It was at a worker each time a daemon died: it runs alone (crash-recovery.ts). */
  suspect?: boolean;
}

export const NO_LOAD: EndpointLoad = { workers_total: 0, workers_busy: 0, queued: 0, running: 0, warm_images: [] };

/**
 * The daemon's side of one connected manager: frames in and out, what it holds, how much more it may take.
 * A frame that breaks the wire format closes the connection (the interchange then treats the manager as lost).
 */
export class ManagerLink {
  register!: ManagerRegister;
  load: EndpointLoad = NO_LOAD;
  /** Tasks it wants to hold at once (workers plus prefetch), as it last said. */
  capacity = 0;
  readonly held = new Map<string, DaemonTask>();
  readonly functionsSent = new Set<string>();
  lastSeen = performance.now();
  /** It said its workers are up (a load frame). */
  ready = false;
  draining = false;
  /** A suspect it runs alone: it is sent nothing else meanwhile. */
  quarantine?: DaemonTask;
  closed = false;
  closeReason = '';

  constructor(
    readonly id: string,
    private readonly socket: Socket,
    onFrame: (link: ManagerLink, frame: ManagerFrame) => void,
    private readonly onClose: (link: ManagerLink, reason: string) => void,
  ) {
    socket.setNoDelay(true);
    readFrames(
      socket,
      MAX_MANAGER_FRAME_BYTES,
      (line) => {
        if (this.closed) return;
        this.lastSeen = performance.now();
        const frame = decodeManagerFrame(line);
        if (frame instanceof ReplyProblem) return this.close(`it sent a bad frame: ${frame.reason}`);
        onFrame(this, frame);
      },
      () => this.close(`it sent a frame longer than ${MAX_MANAGER_FRAME_BYTES} bytes`),
    );
    socket.on('close', () => this.close('its connection closed'));
    socket.on('error', () => {});
  }

  /** Tasks it may be sent now. */
  get room(): number {
    if (!this.ready || this.draining || this.closed || this.quarantine) return 0;
    return this.capacity - this.held.size;
  }

  get label(): string {
    const block = this.register.block_id ? ` of block ${this.register.block_id}` : '';
    return `manager ${this.id} on ${this.register.node}${block}`;
  }

  send(frame: DaemonFrame): void {
    if (!this.closed) this.socket.write(encodeFrame(frame));
  }

  /** Sends a frame already encoded (a batch of tasks, built without a second copy). */
  sendEncoded(text: string): void {
    if (!this.closed) this.socket.write(text);
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.socket.destroy();
    this.onClose(this, reason);
  }
}
