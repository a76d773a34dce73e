/** Sizes as every part of funcX says them: binary units, one decimal from KiB up ("9.8 MiB", "512 B"). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${+(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 * 1024 * 1024) return `${+(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  return `${+(bytes / (1024 * 1024 * 1024)).toFixed(1)} GiB`;
}
