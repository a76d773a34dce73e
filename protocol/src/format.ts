/** How every part of funcX writes sizes, durations and times (the CLIs, the hub's messages, the extension). */

/** Binary units, one decimal from KiB up ("9.8 MiB", "512 B"). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${+(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 * 1024 * 1024) return `${+(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  return `${+(bytes / (1024 * 1024 * 1024)).toFixed(1)} GiB`;
}

/** "0.21 ms", "850.0 ms", "2.40 s", "3 min 5 s". */
export function formatDuration(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1_000) return `${ms.toFixed(1)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(2)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1_000)} s`;
}

/** "3 s ago", "2 min ago", "1 h ago", "4 d ago"; "never" without a time. */
export function formatAgo(epochMs: number | undefined, now = Date.now()): string {
  if (epochMs === undefined) return 'never';
  const seconds = Math.max(0, Math.round((now - epochMs) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} d ago`;
}
