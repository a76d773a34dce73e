import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { capWasmMemory, readWasmMemories } from '@funcx/protocol';
import { webAssembly } from '@funcx/node-common';
import { wasmModule } from '@funcx/testing';
import { endpointCapabilities, validateWasmConfig } from '../src/config-wasm.js';

describe('the WebAssembly fields of config.yaml', () => {
  test('say what an endpoint advertises: wasm by default, Pyodide when asked, nothing of wasm with no threads', () => {
    assert.deepEqual(endpointCapabilities({}), { languages: ['python', 'wasm'], isolation: ['process'] });
    assert.deepEqual(endpointCapabilities({ pyodide: true }), { languages: ['python', 'wasm'], isolation: ['process', 'wasm'] });
    assert.deepEqual(endpointCapabilities({ isolation: 'wasm' }), { languages: ['python', 'wasm'], isolation: ['wasm'] });
    assert.deepEqual(endpointCapabilities({ wasm_threads: 0 }), { languages: ['python'], isolation: ['process'] });
  });

  test('refuse bad values naming the field and what to write', () => {
    assert.throws(() => validateWasmConfig({ wasm_threads: 1.5 }), /wasm_threads must be a whole number from 0 \(no wasm functions\) to 256 \(got 1\.5\)/);
    assert.throws(() => validateWasmConfig({ wasm_memory_mb: 8192 }), /wasm_memory_mb must be a number above 0 and at most 4096, e\.g\. wasm_memory_mb: 256/);
    assert.throws(() => validateWasmConfig({ isolation: 'vm' }), /isolation must be process or wasm \(got "vm"\)/);
    assert.throws(() => validateWasmConfig({ isolation: 'wasm', pyodide: false }), /cannot be combined with pyodide: false/);
    assert.throws(() => validateWasmConfig({ pyodide: true, wasm_threads: 0 }), /give it threads \(wasm_threads above 0\)/);
  });
});

describe("capping a module's memory", () => {
  test('gives a memory without a maximum the cap, and keeps a lower maximum of its own', () => {
    const c = wasmModule('sum');
    assert.equal(readWasmMemories(c).defined[0].max, undefined, 'clang leaves the maximum open');
    const capped = capWasmMemory(c, 512);
    assert.equal(readWasmMemories(capped).defined[0].max, 512);
    assert.equal(readWasmMemories(capped).defined[0].min, readWasmMemories(c).defined[0].min);
    assert.ok(webAssembly.validate(capped), 'the rewritten module is still valid');
    const tight = capWasmMemory(capped, 4096);
    assert.equal(readWasmMemories(tight).defined[0].max, 512, 'its own lower maximum stays');
  });

  test('refuses a module that needs more than the cap at start', () => {
    assert.throws(() => capWasmMemory(wasmModule('sum'), 1), /it needs [\d.]+ MiB of memory at start, more than the endpoint's cap of 0\.1 MiB/);
  });

  test('refuses bytes that are not a module', () => {
    assert.throws(() => readWasmMemories(Buffer.from('(module)')), /WebAssembly magic number/);
  });
});
