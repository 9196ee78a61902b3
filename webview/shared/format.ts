// Number formatting every webview shares (en-US, as the numbers in the CLI and the logs).
const integerFormat = new Intl.NumberFormat('en-US');
const compactFormat = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/** 12,345 */
export function count(n: number): string {
  return integerFormat.format(n);
}

/** 12.3K */
export function compact(n: number): string {
  return compactFormat.format(n);
}

/** 0.123 → 12.3% */
export function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}
