interface Awaited {
  got: number;
  due: number;
  done?: () => void;
}

/**
 * Answers from other hubs to something this hub asked all of them (a hello, a want): counted from before the
 * question goes out, since an answer may come back before Redis says how many hubs heard the question.
 */
export class AwaitedAnswers {
  private readonly open = new Map<string, Awaited>();

  /** Starts counting answers to `key` (call before asking). */
  expect(key: string): void {
    this.open.set(key, { got: 0, due: Infinity });
  }

  answered(key: string): void {
    const awaited = this.open.get(key);
    if (!awaited) return;
    awaited.got++;
    if (awaited.got >= awaited.due) awaited.done?.();
  }

  /** Resolves once `due` answers to `key` have come, or after `timeoutMs` without them all. */
  async wait(key: string, due: number, timeoutMs: number): Promise<void> {
    const awaited = this.open.get(key);
    if (!awaited) return;
    awaited.due = due;
    if (awaited.got < due) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise<void>((resolve) => (awaited.done = resolve)), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    }
    this.open.delete(key);
  }
}
