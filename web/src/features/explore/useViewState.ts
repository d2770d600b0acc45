import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router';
import type { Schema } from '../../api/types';
import type { FilterState } from './filters';
import { defaultExplore } from './queries';
import {
  readExplore,
  readFilterState,
  writeExplore,
  writeFilterState,
  type ExploreSettings,
} from './urlState';

/**
 * The view's filters, drill-down path and date range, read from the URL. Every change is a new
 * history entry, so back and forward walk through them.
 */
export function useFilterState(): [FilterState, (next: FilterState) => void] {
  const [params, setParams] = useSearchParams();
  const state = useMemo(() => readFilterState(params), [params]);
  const set = useCallback(
    (next: FilterState) => {
      setParams((previous) => writeFilterState(previous, next));
    },
    [setParams],
  );
  return [state, set];
}

/**
 * One choice of a panel kept in the URL (`key`), so a reload or a link shows the same panel. The
 * fallback is left out of the URL; a value that is not allowed (a column of another version)
 * reads as the fallback. Changes replace the history entry: they are settings, not steps.
 */
export function useUrlParam<T extends string>(
  key: string,
  fallback: T,
  allowed: readonly T[] | ((value: string) => boolean),
): [T, (value: T) => void] {
  const [params, setParams] = useSearchParams();
  const raw = params.get(key);
  const ok =
    raw !== null &&
    (typeof allowed === 'function' ? allowed(raw) : (allowed as readonly string[]).includes(raw));
  const value = ok ? (raw as T) : fallback;
  const set = useCallback(
    (next: T) => {
      setParams(
        (previous) => {
          const out = new URLSearchParams(previous);
          if (next === fallback) out.delete(key);
          else out.set(key, next);
          return out;
        },
        { replace: true },
      );
    },
    [setParams, key, fallback],
  );
  return [value, set];
}

/** Explore's settings from the URL (the defaults until the first change); changes are steps. */
export function useExploreSettings(
  schema: Schema,
): [ExploreSettings, (next: ExploreSettings) => void] {
  const [params, setParams] = useSearchParams();
  const settings = useMemo(() => readExplore(params) ?? defaultExplore(schema), [params, schema]);
  const set = useCallback(
    (next: ExploreSettings) => {
      setParams((previous) => writeExplore(previous, next));
    },
    [setParams],
  );
  return [settings, set];
}
