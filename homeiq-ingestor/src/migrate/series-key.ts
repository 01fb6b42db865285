/**
 * A series key as InfluxDB 1.x's `SHOW SERIES` prints it (`°C,domain=sensor,entity_id=kitchen`): the measurement
 * and the tags, each with `\,`, `\=`, `\ ` (and `\\`) escaped as in line protocol. Undefined for a key that does not
 * parse.
 */
export function parseSeriesKey(key: string): { measurement: string; tags: Record<string, string> } | undefined {
  let measurement: string | undefined;
  const tags: Record<string, string> = Object.create(null) as Record<string, string>;
  let cur = '';
  let tagKey: string | undefined;
  const endPart = (): boolean => {
    if (measurement === undefined) {
      measurement = cur;
      return cur !== '';
    }
    if (tagKey === undefined || tagKey === '') return false;
    tags[tagKey] = cur;
    return true;
  };
  for (let i = 0; i < key.length; i += 1) {
    const c = key[i] as string;
    const next = key[i + 1];
    if (c === '\\' && (next === ',' || next === '=' || next === ' ' || next === '\\')) {
      cur += next;
      i += 1;
    } else if (c === ',') {
      if (!endPart()) return undefined;
      cur = '';
      tagKey = undefined;
    } else if (c === '=' && measurement !== undefined && tagKey === undefined) {
      tagKey = cur;
      cur = '';
    } else cur += c;
  }
  if (!endPart()) return undefined;
  return { measurement: measurement as string, tags };
}
