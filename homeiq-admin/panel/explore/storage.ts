/** Where the last chart and query are kept (the panel shares Home Assistant's origin: a name of our own). */
export const LAST_CHART = 'homeiq-admin:explore';
export const LAST_QUERY = 'homeiq-admin:query';

export function remembered(key: string): string | undefined {
  try {
    return localStorage.getItem(key) ?? undefined;
  } catch {
    return undefined; // storage blocked: nothing to restore
  }
}

export function remember(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Storage blocked or full: the fragment still holds the view.
  }
}
