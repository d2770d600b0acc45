import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatCompact,
  formatDuration,
  formatInteger,
  formatNumber,
  formatPercent,
} from './format';

describe('formatNumber', () => {
  it('groups digits for the locale', () => {
    expect(formatNumber(2689943.97, { locale: 'en-US' })).toBe('2,689,943.97');
    expect(formatNumber(2689943.97, { locale: 'de-DE' })).toBe('2.689.943,97');
    expect(formatNumber(1234.5, { locale: 'fr-FR' })).toBe('1\u202f234,5');
  });

  it('formats exact decimal strings without float rounding', () => {
    expect(formatNumber('2689943.97', { locale: 'en-US' })).toBe('2,689,943.97');
    expect(formatNumber('12345678901234567.89', { locale: 'en-US' })).toBe(
      '12,345,678,901,234,567.89',
    );
    expect(formatNumber('-0.5', { locale: 'en-US' })).toBe('-0.5');
  });

  it('shows an em dash for missing or non-numeric values', () => {
    expect(formatNumber(null)).toBe('—');
    expect(formatNumber(undefined)).toBe('—');
    expect(formatNumber(Number.NaN)).toBe('—');
    expect(formatNumber('North')).toBe('—');
  });

  it('limits fraction digits', () => {
    expect(formatNumber(1.23456, { locale: 'en-US' })).toBe('1.23');
    expect(formatNumber(1.23456, { locale: 'en-US', maxFractionDigits: 4 })).toBe('1.2346');
    expect(formatInteger('2000', 'en-US')).toBe('2,000');
  });
});

describe('formatPercent', () => {
  it('signs growth and keeps one decimal', () => {
    expect(formatPercent(0.054138, { locale: 'en-US' })).toBe('+5.4%');
    expect(formatPercent(-0.1194, { locale: 'en-US' })).toBe('-11.9%');
    expect(formatPercent(0, { locale: 'en-US' })).toBe('0.0%');
    expect(formatPercent(0.2, { locale: 'en-US', signed: false })).toBe('20.0%');
  });

  it('gives axis ticks as many decimals as they need, so small ones stay apart', () => {
    expect(formatPercent(0.002, { locale: 'en-US', upToDigits: 2 })).toBe('+0.2%');
    expect(formatPercent(0.004, { locale: 'en-US', upToDigits: 2 })).toBe('+0.4%');
    expect(formatPercent(0.0025, { locale: 'en-US', upToDigits: 2 })).toBe('+0.25%');
    expect(formatPercent(0.05, { locale: 'en-US', upToDigits: 2 })).toBe('+5%');
    expect(formatPercent(0, { locale: 'en-US', upToDigits: 2 })).toBe('0%');
  });

  it('shows null growth as an em dash', () => {
    expect(formatPercent(null)).toBe('—');
    expect(formatPercent(undefined)).toBe('—');
  });
});

describe('formatCompact, formatBytes, formatDuration', () => {
  it('abbreviates large numbers', () => {
    expect(formatCompact(2689943.97, 'en-US')).toBe('2.7M');
    expect(formatCompact(150000, 'en-US')).toBe('150K');
  });

  it('formats sizes', () => {
    expect(formatBytes(512, 'en-US')).toBe('512 B');
    expect(formatBytes(84503, 'en-US')).toBe('82.5 kB');
    expect(formatBytes(5 * 1024 * 1024, 'en-US')).toBe('5 MB');
  });

  it('formats time left', () => {
    expect(formatDuration(4, 'en-US')).toBe('4s');
    expect(formatDuration(75, 'en-US')).toBe('1m 15s');
    expect(formatDuration(3600, 'en-US')).toBe('1h');
    expect(formatDuration(null)).toBe('—');
  });
});
