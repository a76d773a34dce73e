import WebSocket from 'ws';

/**
 * A Socket.IO client written against the wire (Engine.IO 4 text frames over a WebSocket), as an attacker would
 * write one: it sends any text as an event's arguments, nested or sized past what a real client would encode.
 */
export class RawSocket {
  private nextAck = 1;
  private readonly acks = new Map<number, (args: unknown[]) => void>();
  readonly events: { event: string; args: unknown[] }[] = [];
  closed = false;

  private constructor(
    private readonly ws: WebSocket,
    readonly namespace: string,
  ) {}

  /** Connects to a namespace with a handshake `auth`; rejects with the hub's connect_error data. */
  static async connect(url: string, namespace: string, auth: object | undefined): Promise<RawSocket> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, { maxPayload: 256 * 1024 * 1024 });
    const socket = new RawSocket(ws, namespace);
    return new Promise((resolve, reject) => {
      ws.on('error', reject);
      ws.on('close', () => {
        socket.closed = true;
        reject(new Error('closed before connecting'));
      });
      ws.on('message', (data) => {
        const text = data.toString();
        if (text === '2') return ws.send('3');
        if (text.startsWith('0')) return ws.send(`40${namespace ? namespace + ',' : ''}${auth ? JSON.stringify(auth) : ''}`);
        const prefix = namespace ? `${namespace},` : '';
        if (!text.startsWith('4')) return;
        const kind = text[1];
        const body = prefix && text.slice(2).startsWith(prefix) ? text.slice(2 + prefix.length) : text.slice(2);
        if (kind === '0') return resolve(socket);
        if (kind === '4') return reject(Object.assign(new Error('connect_error'), { data: JSON.parse(body).data ?? JSON.parse(body) }));
        const match = /^(\d*)(.*)$/s.exec(body)!;
        const args = JSON.parse(match[2]) as unknown[];
        if (kind === '3') socket.acks.get(Number(match[1]))?.(args);
        else if (kind === '2') socket.events.push({ event: String(args[0]), args: args.slice(1) });
      });
    });
  }

  /** Sends `event` with arguments given as JSON text (the array's inside, e.g. `{"tasks":[]}`), and waits for the ack. */
  emitText(event: string, argsText: string, timeoutMs = 5000): Promise<unknown[]> {
    const id = this.nextAck++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.acks.delete(id);
        reject(new Error(`no ack for ${event} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.acks.set(id, (args) => {
        clearTimeout(timer);
        this.acks.delete(id);
        resolve(args);
      });
      this.ws.send(`42${this.namespace},${id}[${JSON.stringify(event)}${argsText ? ',' + argsText : ''}]`);
    });
  }

  /** Sends `event` without asking for an ack. */
  sendText(event: string, argsText: string): void {
    this.ws.send(`42${this.namespace},[${JSON.stringify(event)}${argsText ? ',' + argsText : ''}]`);
  }

  close(): void {
    this.ws.close();
  }
}

/** JSON text of an array nested `depth` deep around `inner`. */
export function nested(depth: number, inner = '0'): string {
  return '['.repeat(depth) + inner + ']'.repeat(depth);
}
