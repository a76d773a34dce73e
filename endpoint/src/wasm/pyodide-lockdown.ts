/**
 * What a thread takes away once Pyodide is loaded, before any user's Python runs there. Python in Pyodide reaches
 * JavaScript through its FFI; these close the ways from there to the host known to work:
 * - `import js` is an empty object (loadPyodide's `jsglobals`), so no global (process, require, fetch) is in reach;
 * - the constructors of every kind of function are replaced, so no JavaScript object reached through the FFI
 *   (`to_js({}).constructor.constructor("…")`) turns a string into code; Error.prepareStackTrace is fixed, so no
 *   stack frame hands out its `this`;
 * - the `pyodide_js` module (the Pyodide API: mountNodeFS, the Emscripten FS with NODEFS, loadPackage) is
 *   unregistered and removed from every module that imported it;
 * - the thread's process loses the calls that load native code or bindings.
 * Pyodide's own file system is in memory: the host's files are not in it.
 */

const NO_CODE_FROM_STRINGS = function (): never {
  throw new TypeError('making code from strings is not allowed in a funcX WebAssembly thread');
};

/** Python run once, in a namespace of its own: forgets `pyodide_js` wherever it was imported. */
const FORGET_API = `
def _funcx_forget_api():
    import sys
    api = sys.modules.get('pyodide_js')
    if api is None:
        return
    for module in list(sys.modules.values()):
        namespace = getattr(module, '__dict__', None)
        if isinstance(namespace, dict):
            for key, value in list(namespace.items()):
                if value is api:
                    del namespace[key]
    for name in [name for name in sys.modules if name == 'pyodide_js' or name.startswith('pyodide_js.')]:
        del sys.modules[name]
_funcx_forget_api()
`;

interface LockablePyodide {
  unregisterJsModule(name: string): void;
  runPython(code: string, options?: { globals?: unknown }): unknown;
  toPy(value: unknown): unknown;
}

export function lockDown(pyodide: LockablePyodide): void {
  const prototypes = [
    Function.prototype,
    Object.getPrototypeOf(async function () {}),
    Object.getPrototypeOf(function* () {}),
    Object.getPrototypeOf(async function* () {}),
  ];
  for (const prototype of prototypes) {
    Object.defineProperty(prototype, 'constructor', { value: NO_CODE_FROM_STRINGS, writable: false, configurable: false });
  }
  Object.defineProperty(Error, 'prepareStackTrace', { value: undefined, writable: false, configurable: false });
  pyodide.unregisterJsModule('pyodide_js');
  pyodide.runPython(FORGET_API, { globals: pyodide.toPy({}) });
  const host = process as unknown as Record<string, unknown>;
  for (const name of ['binding', '_linkedBinding', 'dlopen', 'getBuiltinModule', 'chdir', 'kill', 'abort']) {
    try {
      Object.defineProperty(host, name, { value: undefined, writable: false, configurable: false });
    } catch {
      // Not configurable in this Node: it stays, behind the locks above.
    }
  }
}
