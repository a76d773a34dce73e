import { MAX_RESULT_VALUE_DEPTH, jsonDepth, type TaskError, type TaskResult } from '@funcx/protocol';
import { epochMs } from '@funcx/node-common';
import { OutputStream } from './output-stream.js';
import { lockDown } from './pyodide-lockdown.js';
import type { WasmPythonMessage, WasmThreadReply } from './wasm-messages.js';

/**
 * How a Python task runs in Pyodide, like a worker runs it: with an entrypoint the source runs and the named
 * function is called with the arguments; without one the source runs like a notebook cell and its last
 * expression is the value. Each task gets a fresh namespace; the traceback shows the user's code as `<cell>` or
 * `<function NAME>`. Returns JSON text: {"value"?, "repr"} or {"error": {ename, evalue, traceback}}.
 */
const RUNNER = `
def _funcx_run(source, entrypoint, args_json, kwargs_json):
    import json, traceback
    from pyodide.code import eval_code
    namespace = {'__name__': '__main__'}
    try:
        args = json.loads(args_json)
        kwargs = json.loads(kwargs_json)
        if entrypoint:
            exec(compile(source, '<function %s>' % entrypoint, 'exec'), namespace)
            value = namespace[entrypoint](*args, **kwargs)
        else:
            value = eval_code(source, namespace, filename='<cell>')
    except BaseException as error:
        frames = traceback.extract_tb(error.__traceback__)
        user = [frame for frame in frames if frame.filename.startswith('<')]
        lines = traceback.format_list(user) + traceback.format_exception_only(type(error), error)
        return json.dumps({'error': {'ename': type(error).__name__, 'evalue': str(error), 'traceback': ['Traceback (most recent call last):'] + [line.rstrip() for line in lines]}})
    reply = {'repr': repr(value)[:1048576]}
    try:
        json.dumps(value, allow_nan=False)
        reply['value'] = value
    except (TypeError, ValueError, RecursionError):
        pass
    return json.dumps(reply)
`;

interface Pyodide {
  version: string;
  runPython(code: string, options?: { globals?: unknown }): unknown;
  toPy(value: unknown): unknown;
  unregisterJsModule(name: string): void;
  setStdout(options: { write: (bytes: Uint8Array) => number }): void;
  setStderr(options: { write: (bytes: Uint8Array) => number }): void;
  globals: { get(name: string): (...args: unknown[]) => string };
}

const now = epochMs;

/** Python in WebAssembly (Pyodide) inside a pool thread: loaded once, locked down, then one task at a time. */
export class PythonInWasm {
  private pyodide?: Pyodide;
  private stdout?: OutputStream;
  private stderr?: OutputStream;

  constructor(
    private readonly post: (reply: WasmThreadReply) => void,
    private readonly output: (taskId: string) => (name: 'stdout' | 'stderr', text: string) => void,
  ) {}

  async load(): Promise<string> {
    const { loadPyodide } = (await import('pyodide')) as unknown as { loadPyodide: (options: object) => Promise<Pyodide> };
    const pyodide = await loadPyodide({
      jsglobals: Object.create(null),
      env: { HOME: '/home/pyodide', LANG: 'C.UTF-8' },
      stdout: () => {},
      stderr: () => {},
    });
    const writer = (stream: () => OutputStream | undefined) => ({
      write: (bytes: Uint8Array) => {
        stream()?.write(bytes);
        return bytes.length;
      },
    });
    pyodide.setStdout(writer(() => this.stdout));
    pyodide.setStderr(writer(() => this.stderr));
    pyodide.runPython(RUNNER);
    lockDown(pyodide);
    this.pyodide = pyodide;
    return pyodide.version;
  }

  run(message: WasmPythonMessage): void {
    const ts0 = now();
    const pyodide = this.pyodide!;
    const send = this.output(message.i);
    this.stdout = new OutputStream('stdout', send);
    this.stderr = new OutputStream('stderr', send);
    let reply: { value?: unknown; repr?: string; error?: TaskError };
    try {
      const run = pyodide.globals.get('_funcx_run');
      reply = JSON.parse(run(message.source, message.entrypoint ?? '', JSON.stringify(message.args), JSON.stringify(message.kwargs)));
    } catch (error) {
      reply = { error: { ename: 'PyodideError', evalue: String((error as Error).message ?? error).slice(-2000), traceback: [] } };
    } finally {
      this.stdout.flush();
      this.stderr.flush();
      this.stdout = this.stderr = undefined;
    }
    const ts1 = now();
    if (reply.error) {
      this.post({ t: 'err', i: message.i, ts0, ts1, e: reply.error });
      return;
    }
    const result: TaskResult = { data: { 'text/plain': reply.repr ?? 'None' } };
    // A value nested deeper than a completion may carry comes back as its repr only.
    if ('value' in reply && jsonDepth(reply.value, MAX_RESULT_VALUE_DEPTH) <= MAX_RESULT_VALUE_DEPTH) result.value = reply.value as TaskResult['value'];
    this.post({ t: 'ok', i: message.i, ts0, ts1, r: result });
  }
}
