import type * as React from 'react';

const ITEMS = '[role="option"], .funcx-TaskItem-summary';

/**
 * Up and Down (and Home, End) move the focus among a list's items, as in any listbox; `choose` is called
 * with the newly focused item when selection follows focus (the endpoint picker).
 */
export function moveFocusWithArrows(event: React.KeyboardEvent<HTMLElement>, choose?: (item: HTMLElement) => void): void {
  const keys = ['ArrowDown', 'ArrowUp', 'Home', 'End'];
  if (!keys.includes(event.key)) return;
  const container = event.currentTarget;
  const items = [...container.querySelectorAll<HTMLElement>(ITEMS)];
  if (items.length === 0) return;
  const current = items.findIndex(item => item === document.activeElement || item.contains(document.activeElement));
  const last = items.length - 1;
  const next =
    event.key === 'Home' ? 0
    : event.key === 'End' ? last
    : event.key === 'ArrowDown' ? Math.min(last, current + 1)
    : Math.max(0, current === -1 ? last : current - 1);
  event.preventDefault();
  items[next].focus();
  choose?.(items[next]);
}
