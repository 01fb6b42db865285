import { useMemo, useState } from 'preact/hooks';
import type { ExploreEntity } from '../../src/api-types.js';

/** What a search word may match: id, name, area, floor, labels, device class, unit, domain. */
function haystack(e: ExploreEntity): string {
  return [
    e.entityId,
    e.name,
    e.areaName,
    e.area,
    e.floorName,
    e.floor,
    ...e.labels,
    e.deviceClass,
    e.unit,
    e.domain,
    e.kind === 'state' ? 'timeline' : '',
  ]
    .filter(Boolean)
    .join(' ')
    .toLowerCase();
}

const SHOWN = 40;

/** Search the entities with data and pick any number (up to `max`); the picked ones are chips in their colour. */
export function EntityPicker({
  entities,
  selected,
  colorOf,
  max,
  onChange,
}: {
  entities: ExploreEntity[];
  selected: string[];
  colorOf: (id: string) => string;
  max: number;
  onChange: (ids: string[]) => void;
}) {
  const [q, setQ] = useState('');
  const index = useMemo(() => entities.map((e) => ({ e, text: haystack(e) })), [entities]);
  const byId = useMemo(() => new Map(entities.map((e) => [e.entityId, e])), [entities]);
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  const matches = words.length === 0 ? [] : index.filter((x) => words.every((w) => x.text.includes(w)));
  const toggle = (id: string): void => {
    if (selected.includes(id)) onChange(selected.filter((s) => s !== id));
    else if (selected.length < max) onChange([...selected, id]);
  };
  return (
    <div class="picker">
      <div class="chips">
        {selected.map((id) => {
          const e = byId.get(id);
          return (
            <span key={id} class="chip" data-entity={id} title={id}>
              <span class="swatch" style={{ borderColor: colorOf(id), background: colorOf(id) }} />
              {e?.name ?? id}
              <button type="button" class="remove" aria-label={`remove ${id}`} onClick={() => toggle(id)}>
                ×
              </button>
            </span>
          );
        })}
        <input
          type="search"
          value={q}
          placeholder={
            selected.length === 0 ? 'Search entities: id, name, area, floor, label, device class, unit' : 'Add entities'
          }
          aria-label="search entities to chart"
          onInput={(e) => setQ((e.target as HTMLInputElement).value)}
        />
      </div>
      {words.length > 0 && (
        <div class="results" role="listbox" aria-label="matching entities">
          {matches.slice(0, SHOWN).map(({ e }) => {
            const on = selected.includes(e.entityId);
            return (
              <button
                type="button"
                key={e.entityId}
                role="option"
                aria-selected={on}
                class={on ? 'pick on' : 'pick'}
                data-entity={e.entityId}
                disabled={!on && selected.length >= max}
                onClick={() => toggle(e.entityId)}
              >
                <span class="check">{on ? '✓' : '+'}</span>
                <span class="what">
                  <span>{e.name ?? e.entityId}</span>
                  <small class="muted">
                    {[e.name ? e.entityId : '', e.areaName, e.floorName, e.deviceClass, e.labels.join(', ')]
                      .filter(Boolean)
                      .join(' · ')}
                  </small>
                </span>
                <span class="muted small">{e.kind === 'state' ? 'timeline' : (e.unit ?? '')}</span>
              </button>
            );
          })}
          <p class="muted small">
            {matches.length === 0
              ? 'No entity matches.'
              : matches.length > SHOWN
                ? `${SHOWN} of ${matches.length} matches; type more to narrow them.`
                : `${matches.length} match${matches.length === 1 ? '' : 'es'}.`}
            {selected.length >= max ? ` At most ${max} entities at once.` : ''}
          </p>
        </div>
      )}
    </div>
  );
}
