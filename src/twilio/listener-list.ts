/**
 * Listeners of an event that comes with every media frame, called straight from an array rather
 * than through an EventEmitter. The array is replaced on every change, never changed in place, so
 * a dispatch in progress goes on with the list it began with (as EventEmitter's emit does).
 */
export class ListenerList<L> {
  private items: readonly L[] = [];

  /** The listeners now, in the order added: read it once per dispatch. */
  get all(): readonly L[] {
    return this.items;
  }

  add(listener: L): void {
    this.items = [...this.items, listener];
  }

  /** As EventEmitter's off: the last time `listener` was added goes. */
  remove(listener: L): void {
    const at = this.items.lastIndexOf(listener);
    if (at >= 0) this.items = [...this.items.slice(0, at), ...this.items.slice(at + 1)];
  }

  clear(): void {
    this.items = [];
  }
}
