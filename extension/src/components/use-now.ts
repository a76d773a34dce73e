import { useEffect, useState } from 'react';

/** How often relative times ("3 s ago", a running task's duration) are brought up to date. */
export const CLOCK_INTERVAL_MS = 1000;

/** The current time, refreshed every `intervalMs` so relative times stay true; one per view. */
export function useNow(intervalMs = CLOCK_INTERVAL_MS): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** Renders its children with the current time: the single timer of a view built from class widgets. */
export function Clock(props: { children: (now: number) => JSX.Element }): JSX.Element {
  return props.children(useNow());
}
