import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api.js';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

/** GETs `path` now, again every `everyMs` (if given) while the view is shown, and on `reload()`. */
export function useApi<T>(path: string | undefined, everyMs?: number): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(false);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const latest = useRef(path);
  latest.current = path;
  useEffect(() => {
    if (!path) return undefined;
    const ctl = new AbortController();
    setLoading(true);
    api<T>(path, { signal: ctl.signal })
      .then((d) => {
        if (latest.current !== path) return;
        setData(d);
        setError(undefined);
      })
      .catch((e: Error) => {
        if (e.name !== 'AbortError') setError(e.message);
      })
      .finally(() => setLoading(false));
    const t = everyMs ? setTimeout(reload, everyMs) : undefined;
    return () => {
      ctl.abort();
      clearTimeout(t);
    };
  }, [path, tick, everyMs, reload]);
  return { data, error, loading, reload };
}
