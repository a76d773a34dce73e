/**
 * The members that have room, kept current by a note after every change to a member's room, so a dispatch
 * visits only members it can send to however many are connected, and knows how many there are without counting.
 * In the order they found room: a member that fills up and frees room again goes to the back.
 */
export class ReadySet<T> {
  private readonly members = new Set<T>();

  constructor(private readonly roomOf: (member: T) => number) {}

  /** The member's room may have changed: it is in the set exactly when it has room now. */
  note(member: T): void {
    if (this.roomOf(member) > 0) this.members.add(member);
    else this.members.delete(member);
  }

  /** Behind every other member, if it has room (a member just served waits its turn). */
  toBack(member: T): void {
    this.members.delete(member);
    this.note(member);
  }

  remove(member: T): void {
    this.members.delete(member);
  }

  has(member: T): boolean {
    return this.members.has(member);
  }

  get size(): number {
    return this.members.size;
  }

  /** Members in order; noting or removing the member being visited is safe while iterating. */
  [Symbol.iterator](): IterableIterator<T> {
    return this.members.values();
  }
}
