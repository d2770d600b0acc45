// Number, percentage, size and time formatting for the browser's locale (Intl).

const EM_DASH = '—';

type Numeric = number | string | null | undefined;

const cache = new Map<string, Intl.NumberFormat>();

function numberFormat(
  locale: string | undefined,
  options: Intl.NumberFormatOptions,
): Intl.NumberFormat {
  const key = `${locale ?? ''}|${JSON.stringify(options)}`;
  let format = cache.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, options);
    cache.set(key, format);
  }
  return format;
}

/** A decimal string as the API sends exact values ("2689943.97"), or a finite number. */
function toNumeric(value: Numeric): number | `${number}` | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  const trimmed = value.trim();
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)) return null;
  return trimmed as `${number}`;
}

export type FormatNumberOptions = {
  locale?: string;
  /** At most this many fraction digits (default 2). */
  maxFractionDigits?: number;
  minFractionDigits?: number;
};

/**
 * A number for people: grouping and decimal separators of the locale. Exact decimal strings
 * are formatted without going through a float, so "2689943.97" stays exact.
 */
export function formatNumber(value: Numeric, options: FormatNumberOptions = {}): string {
  const numeric = toNumeric(value);
  if (numeric === null) return EM_DASH;
  const max = options.maxFractionDigits ?? 2;
  return numberFormat(options.locale, {
    maximumFractionDigits: max,
    minimumFractionDigits: Math.min(options.minFractionDigits ?? 0, max),
  }).format(numeric);
}

/** An integer count ("2,000"). */
export function formatInteger(value: Numeric, locale?: string): string {
  return formatNumber(value, { locale, maxFractionDigits: 0 });
}

/** Short form for axes and tight cards ("2.7M"). */
export function formatCompact(value: Numeric, locale?: string): string {
  const numeric = toNumeric(value);
  if (numeric === null) return EM_DASH;
  return numberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 }).format(numeric);
}

/**
 * A ratio as a percentage: 0.0541 → "+5.4%"; null → "—". `upToDigits` shows as few decimals as
 * the value needs, up to that many (axis ticks: 0.002 → "+0.2%", 0.05 → "+5%"), so small ticks
 * never all read "0%".
 */
export function formatPercent(
  ratio: number | null | undefined,
  options: { locale?: string; signed?: boolean; digits?: number; upToDigits?: number } = {},
): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return EM_DASH;
  const digits = options.digits ?? 1;
  return numberFormat(options.locale, {
    style: 'percent',
    minimumFractionDigits: options.upToDigits === undefined ? digits : 0,
    maximumFractionDigits: options.upToDigits ?? digits,
    signDisplay: options.signed === false ? 'auto' : 'exceptZero',
  }).format(ratio);
}

/** A byte count: 84503 → "82.5 KB". */
export function formatBytes(bytes: number | null | undefined, locale?: string): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return EM_DASH;
  const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${numberFormat(locale, { maximumFractionDigits: 0 }).format(value)} B`;
  return numberFormat(locale, {
    style: 'unit',
    unit: units[unit] ?? 'byte',
    unitDisplay: 'short',
    maximumFractionDigits: 1,
  }).format(value);
}

/** Seconds left: 75 → "1 min 15 s"; null → "—". */
export function formatDuration(seconds: number | null | undefined, locale?: string): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0)
    return EM_DASH;
  const s = Math.round(seconds);
  const unit = (value: number, name: 'second' | 'minute' | 'hour') =>
    numberFormat(locale, { style: 'unit', unit: name, unitDisplay: 'narrow' }).format(value);
  if (s < 60) return unit(s, 'second');
  const minutes = Math.floor(s / 60);
  if (minutes < 60) {
    const rest = s % 60;
    return rest ? `${unit(minutes, 'minute')} ${unit(rest, 'second')}` : unit(minutes, 'minute');
  }
  const hours = Math.floor(minutes / 60);
  const restMinutes = minutes % 60;
  return restMinutes
    ? `${unit(hours, 'hour')} ${unit(restMinutes, 'minute')}`
    : unit(hours, 'hour');
}

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

/** An ISO timestamp in the locale's medium date and short time. */
export function formatDateTime(iso: string | null | undefined, locale?: string): string {
  if (!iso) return EM_DASH;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const key = locale ?? '';
  let format = dateTimeFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
    dateTimeFormats.set(key, format);
  }
  return format.format(date);
}

export { EM_DASH };
