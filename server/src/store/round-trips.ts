/** Round trips to a networked store, by the store call that made them (shown on /metrics). */
export class RoundTrips {
  readonly counts = new Map<string, number>();

  add(call: string): void {
    this.counts.set(call, (this.counts.get(call) ?? 0) + 1);
  }
}
