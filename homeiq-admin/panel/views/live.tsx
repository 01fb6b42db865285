import { parseJson } from '@homeiq/shared/json-text';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { LiveEvent } from '../../src/api-types.js';
import { Card } from '../ui.js';

const KEEP = 300;
const DOMAINS = ['', 'sensor', 'binary_sensor', 'light', 'switch', 'climate', 'person', 'sun', 'weather', 'automation'];

type Conn = 'connecting' | 'live' | 'retrying';

/**
 * The ingestor's live stream (relayed by our server under the ingress prefix). Domain and entity filters go
 * to the ingestor (it sends only matching events); the text filter and pause act here. Paused, events keep
 * arriving and are counted, and shown on resume.
 */
export function LiveView() {
  const [domain, setDomain] = useState('');
  const [entity, setEntity] = useState('');
  const [text, setText] = useState('');
  const [paused, setPaused] = useState(false);
  const [events, setEvents] = useState<LiveEvent[]>([]);
  const [conn, setConn] = useState<Conn>('connecting');
  const [error, setError] = useState<string | undefined>();
  const held = useRef<LiveEvent[]>([]);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const [heldCount, setHeldCount] = useState(0);

  const entityFilter = /^[a-z0-9_.*?]{1,255}$/.test(entity) ? entity : '';
  useEffect(() => {
    const qs = new URLSearchParams();
    if (domain) qs.set('domain', domain);
    if (entityFilter) qs.set('entity', entityFilter);
    setEvents([]);
    held.current = [];
    setHeldCount(0);
    setConn('connecting');
    const es = new EventSource(`api/events/stream${qs.size ? `?${qs}` : ''}`);
    let pending: LiveEvent[] = [];
    let frame = 0;
    const flush = (): void => {
      frame = 0;
      const batch = pending;
      pending = [];
      if (pausedRef.current) {
        held.current = [...batch.reverse(), ...held.current].slice(0, KEEP);
        setHeldCount(held.current.length);
      } else setEvents((prev) => [...batch.reverse(), ...prev].slice(0, KEEP));
    };
    es.onopen = () => {
      setConn('live');
      setError(undefined);
    };
    es.onmessage = (m: MessageEvent<string>) => {
      try {
        pending.push(parseJson(m.data) as LiveEvent);
      } catch {
        return;
      }
      // Render at most once per frame: a busy home sends hundreds of events a second.
      frame ||= requestAnimationFrame(flush);
    };
    es.onerror = () => {
      setConn('retrying');
      setError('The live stream was interrupted; reconnecting (HomeIQ Ingestor or HomeIQ Admin may be restarting).');
    };
    return () => {
      es.close();
      cancelAnimationFrame(frame);
    };
  }, [domain, entityFilter]);

  const resume = (): void => {
    setEvents((prev) => [...held.current, ...prev].slice(0, KEEP));
    held.current = [];
    setHeldCount(0);
    setPaused(false);
  };
  const shown = useMemo(() => {
    const t = text.toLowerCase();
    return t
      ? events.filter((e) =>
          `${e.entity_id ?? ''} ${e.name ?? ''} ${e.state ?? ''} ${e.type}`.toLowerCase().includes(t),
        )
      : events;
  }, [events, text]);

  return (
    <Card
      title={
        <>
          Live events{' '}
          <span class={`pill ${conn === 'live' ? 'green' : 'amber'}`} id="live-state">
            {conn}
          </span>
        </>
      }
    >
      <div class="filters">
        <select value={domain} onChange={(e) => setDomain((e.target as HTMLSelectElement).value)} aria-label="domain">
          {DOMAINS.map((d) => (
            <option key={d} value={d}>
              {d || 'all domains'}
            </option>
          ))}
        </select>
        <input
          value={entity}
          placeholder="entity or glob, e.g. sensor.*_power"
          onInput={(e) => setEntity((e.target as HTMLInputElement).value.trim())}
          aria-label="entity filter"
        />
        <input
          type="search"
          value={text}
          placeholder="text"
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
          aria-label="text filter"
        />
        {paused ? (
          <button type="button" onClick={resume}>
            Resume{heldCount ? ` (${heldCount} new)` : ''}
          </button>
        ) : (
          <button type="button" onClick={() => setPaused(true)}>
            Pause
          </button>
        )}
      </div>
      {error && conn !== 'live' && <p class="hint">{error}</p>}
      <div class="scroll">
        <table id="live">
          <thead>
            <tr>
              <th>Time</th>
              <th>Entity</th>
              <th>State</th>
              <th class="hide-sm">Before</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((e) => (
              <tr key={e.id} data-entity={e.entity_id ?? ''}>
                <td class="num">{new Date(e.time).toLocaleTimeString()}</td>
                <td>
                  {e.entity_id ?? e.type}
                  {e.name && <div class="muted small">{e.name}</div>}
                </td>
                <td>
                  {e.state ?? (e.type === 'state_changed' ? '(removed)' : '')}
                  {e.unit && e.state ? ` ${e.unit}` : ''}
                </td>
                <td class="hide-sm muted">{e.old_state ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="muted">
        {shown.length} of the last {events.length} events{paused ? ', paused' : ''}.
      </p>
    </Card>
  );
}
