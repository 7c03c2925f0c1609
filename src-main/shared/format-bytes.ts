/**
 * One way to write a number of bytes, for every place Telltale shows one (findings, the report,
 * the command line, the UI): SI units, "850 B", "12.3 kB", "1.6 MB", "2.1 GB".
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(1)} GB`;
}
