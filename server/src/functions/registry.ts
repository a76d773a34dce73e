import { createHash, randomUUID } from 'node:crypto';
import { FuncxError, type FunctionRecord, type FunctionRegistration, type FunctionSummary } from '@funcx/protocol';
import { assertCanUseFunction, assertOwns, canUse } from '../auth/access.js';
import type { Store } from '../store/store.js';

/** A UUID (version 8, name-based) derived from the owner, entrypoint and source of inline code. */
export function ephemeralFunctionId(owner: string, entrypoint: string | undefined, source: string): string {
  const hex = createHash('sha256').update(owner).update('\0').update(entrypoint ?? '').update('\0').update(source).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function summary(fn: FunctionRecord): FunctionSummary {
  const { source: _source, ...rest } = fn;
  return rest;
}

/** Registered functions: who may see, run and delete them; inline source becomes an ephemeral function. */
export class FunctionRegistry {
  /** Functions never change once registered, so they are cached by id. */
  private readonly cache = new Map<string, FunctionRecord>();

  constructor(private readonly store: Store) {}

  async register(owner: string, registration: FunctionRegistration): Promise<FunctionRecord> {
    const fn: FunctionRecord = {
      function_id: randomUUID(),
      owner,
      name: registration.name,
      source: registration.source,
      language: registration.language ?? 'python',
      public: registration.public ?? false,
      created_at: Date.now(),
    };
    if (registration.entrypoint !== undefined) fn.entrypoint = registration.entrypoint;
    if (registration.description !== undefined) fn.description = registration.description;
    if (registration.container_image !== undefined) fn.container_image = registration.container_image;
    await this.store.putFunction(fn);
    this.cache.set(fn.function_id, fn);
    return fn;
  }

  async list(user: string): Promise<FunctionSummary[]> {
    const all = await this.store.listFunctions();
    return all.filter((fn) => !fn.ephemeral && canUse(user, fn)).map(summary);
  }

  /** A function the user may run (404 unknown, 403 another user's private function). */
  async get(user: string, functionId: string): Promise<FunctionRecord> {
    const fn = await this.lookup(functionId);
    if (!fn) {
      throw new FuncxError(
        'FUNCX_FUNCTION_NOT_FOUND',
        `No function with id ${functionId}: register it first (POST /v1/functions) or list yours with GET /v1/functions`,
      );
    }
    assertCanUseFunction(user, fn);
    return fn;
  }

  async lookup(functionId: string): Promise<FunctionRecord | undefined> {
    let fn = this.cache.get(functionId);
    if (!fn) {
      fn = await this.store.getFunction(functionId);
      if (fn) this.cache.set(functionId, fn);
    }
    return fn;
  }

  async delete(user: string, functionId: string): Promise<void> {
    const fn = await this.get(user, functionId);
    assertOwns(user, fn, `function ${functionId}`);
    this.cache.delete(functionId);
    await this.store.deleteFunction(functionId);
  }

  /** The function for inline source, registered on first use. */
  async ephemeral(owner: string, source: string, entrypoint: string | undefined): Promise<FunctionRecord> {
    const functionId = ephemeralFunctionId(owner, entrypoint, source);
    const known = await this.lookup(functionId);
    if (known) return known;
    const fn: FunctionRecord = {
      function_id: functionId,
      owner,
      name: entrypoint ?? 'cell',
      source,
      language: 'python',
      public: false,
      ephemeral: true,
      created_at: Date.now(),
    };
    if (entrypoint !== undefined) fn.entrypoint = entrypoint;
    this.cache.set(functionId, fn);
    await this.store.putFunction(fn);
    return fn;
  }
}
