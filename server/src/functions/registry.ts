import { createHash, randomUUID } from 'node:crypto';
import { FuncxError, emptySharing, type FunctionRecord, type FunctionRegistration, type FunctionSummary } from '@funcx/protocol';
import { auditRecord, type Actor } from '../audit/entries.js';
import { assertOwns, type Access } from '../auth/access.js';
import type { Store } from '../store/store.js';
import { checkWasmRegistration } from './wasm-module.js';

/**
 * How long a function read from the store is used without reading it again: its code never changes, but its
 * sharing can, also through another hub on the same Redis, which this hub then sees within this time.
 */
export const FUNCTION_CACHE_MS = 1_000;
/** Cached functions beyond which expired ones are dropped. */
const CACHE_SWEEP_SIZE = 10_000;

/** A UUID (version 8, name-based) derived from the owner, entrypoint and source of inline code. */
export function ephemeralFunctionId(owner: string, entrypoint: string | undefined, source: string): string {
  const hex = createHash('sha256').update(owner).update('\0').update(entrypoint ?? '').update('\0').update(source).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A function as the API shows it: sharing always present (records from before sharing have none). */
export function withSharing<T extends FunctionRecord | FunctionSummary>(fn: T): T {
  return fn.shared_with ? fn : { ...fn, shared_with: emptySharing() };
}

function summary(fn: FunctionRecord): FunctionSummary {
  const { source: _source, ...rest } = fn;
  return withSharing(rest);
}

/** Registered functions: who may see, run and delete them; inline source becomes an ephemeral function. */
export class FunctionRegistry {
  private readonly cache = new Map<string, { fn: FunctionRecord; until: number }>();

  constructor(
    private readonly store: Store,
    private readonly access: Access,
  ) {}

  async register(actor: Actor, registration: FunctionRegistration): Promise<FunctionRecord> {
    if (registration.language === 'wasm') await checkWasmRegistration(registration);
    const fn: FunctionRecord = {
      function_id: randomUUID(),
      owner: actor.user,
      name: registration.name,
      source: registration.source,
      language: registration.language ?? 'python',
      public: registration.public ?? false,
      shared_with: emptySharing(),
      created_at: Date.now(),
    };
    if (registration.entrypoint !== undefined) fn.entrypoint = registration.entrypoint;
    if (registration.isolation !== undefined) fn.isolation = registration.isolation;
    if (registration.description !== undefined) fn.description = registration.description;
    if (registration.container_image !== undefined) fn.container_image = registration.container_image;
    if (registration.pure) fn.pure = true;
    await Promise.all([
      this.store.putFunction(fn),
      this.store.appendAudit([auditRecord(actor, 'function.register', { function_ids: [fn.function_id], detail: { name: fn.name, public: fn.public, ...(fn.language !== 'python' ? { language: fn.language } : {}) } })]),
    ]);
    this.remember(fn);
    return fn;
  }

  /** Functions the user may run (their own, shared with them, public), without source. */
  async list(user: string): Promise<FunctionSummary[]> {
    const all = await this.store.listFunctions();
    return all.filter((fn) => !fn.ephemeral && this.access.canUse(user, fn)).map(summary);
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
    this.access.assertCanUseFunction(user, fn);
    return fn;
  }

  /** The function as stored at most FUNCTION_CACHE_MS ago. */
  async lookup(functionId: string): Promise<FunctionRecord | undefined> {
    const cached = this.cache.get(functionId);
    if (cached && cached.until > Date.now()) return cached.fn;
    const fn = await this.store.getFunction(functionId);
    if (fn) this.remember(fn);
    else this.cache.delete(functionId);
    return fn;
  }

  /** Stores a changed record (its sharing) and uses it from now on. */
  async replace(fn: FunctionRecord): Promise<void> {
    await this.store.putFunction(fn);
    this.remember(fn);
  }

  async delete(actor: Actor, functionId: string): Promise<void> {
    const fn = await this.get(actor.user, functionId);
    assertOwns(actor.user, fn, `function ${functionId}`);
    this.cache.delete(functionId);
    await Promise.all([
      this.store.deleteFunction(functionId),
      this.store.appendAudit([auditRecord(actor, 'function.delete', { function_ids: [functionId] })]),
    ]);
  }

  /** Drops every cached function (after a change to many of them). */
  forgetCached(): void {
    this.cache.clear();
  }

  private remember(fn: FunctionRecord): void {
    const now = Date.now();
    if (this.cache.size >= CACHE_SWEEP_SIZE) {
      for (const [id, entry] of this.cache) if (entry.until <= now) this.cache.delete(id);
      if (this.cache.size >= CACHE_SWEEP_SIZE) this.cache.clear();
    }
    this.cache.set(fn.function_id, { fn, until: now + FUNCTION_CACHE_MS });
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
    this.remember(fn);
    await this.store.putFunction(fn);
    return fn;
  }
}
