import { AttributeText, type AttributeTextStats } from './attribute-text.js';
import { BoundedCache, type CacheStats } from './bounded-cache.js';
import { HaTimestamps } from './ha-time.js';
import { encodeSeries, floatText, quoteString } from './line-protocol.js';
import {
  cap,
  DROPPED_FIELD,
  splitEntityId,
  stateValueText,
  type EncodeOptions,
  type Encoded,
  type EnrichmentTags,
  type HaState,
  type Problem,
} from './state-model.js';

/**
 * The series part of an entity's line (measurement and tags), cached per entity with the inputs it was made
 * from: a hit needs the same entity_id, device_class, unit and registry tags. `truncated` counts the tag values
 * cut by the cap (each one a 'truncated' problem, as when encoded afresh).
 */
interface SeriesHead {
  deviceClass: string | undefined;
  unit: string | undefined;
  area: string | undefined;
  floor: string | undefined;
  device: string | undefined;
  deviceId: string | undefined;
  labels: string | undefined;
  text: string | undefined;
  hostile: boolean;
  truncated: number;
}

export interface StateEncoderCacheStats extends AttributeTextStats {
  heads: CacheStats;
}

/**
 * One state → one line in HomeIQ's layout, the same line and problems as `encodeStateAsPoint` (state-to-points.ts,
 * the reference the tests compare it with), built directly as text: the series head and the attribute fields
 * come from per-entity caches (AttributeText), the timestamp from HaTimestamps. The caches are this instance's
 * and bounded (a home has a few thousand entities); its options are fixed, as the cached texts depend on them.
 */
export class StateEncoder {
  /** Series heads by entity_id. */
  readonly #heads = new BoundedCache<SeriesHead>(16_384);
  readonly #attributes: AttributeText;

  constructor(
    private readonly opts: EncodeOptions,
    /** Shared with the pipeline that parses the same timestamps first (see HaTimestamps). */
    private readonly times: HaTimestamps = new HaTimestamps(),
  ) {
    this.#attributes = new AttributeText(opts);
  }

  /** Hit/miss/eviction counts of the caches (for tests and benches). */
  cacheStats(): StateEncoderCacheStats {
    return { heads: this.#heads.stats(), ...this.#attributes.stats() };
  }

  /** `timestampNs`: the time of `last_updated` as ns digits, when the caller has it already (a migrated point). */
  encode(s: HaState, problems: Problem[] = [], timestampNs?: string): Encoded {
    const ts = timestampNs ?? this.times.ns(s.last_updated);
    if (ts === undefined) return { problems: [...problems, 'bad_timestamp'] };
    const attrs = s.attributes;
    const deviceClass = attrs['device_class'];
    const unit = attrs['unit_of_measurement'];
    const head = this.#head(
      s.entity_id,
      typeof deviceClass === 'string' ? deviceClass : undefined,
      typeof unit === 'string' ? unit : undefined,
      this.opts.enrich?.(s.entity_id),
    );
    if (head.hostile) problems.push('hostile_entity_id');
    let fields = `state=${quoteString(cap(s.state, this.opts.maxStringLength, problems))}`;
    const value = stateValueText(s.state);
    if (value !== undefined) fields += `,value=${value}`;
    fields += this.#attributes.text(s.entity_id, attrs, problems);
    if (this.#attributes.dropped > 0) fields += `,${DROPPED_FIELD}=${floatText(this.#attributes.dropped)}`;
    for (let i = 0; i < head.truncated; i += 1) problems.push('truncated');
    // No isTimestampNs here: times.ns gives only timestamps within InfluxDB's range (else undefined, above).
    if (head.text === undefined) return { problems };
    return { line: `${head.text} ${fields} ${ts}`, problems };
  }

  #head(
    entityId: string,
    deviceClass: string | undefined,
    unit: string | undefined,
    extra: EnrichmentTags | undefined,
  ): SeriesHead {
    const area = extra?.area;
    const floor = extra?.floor;
    const device = extra?.device;
    const deviceId = extra?.device_id;
    const labels = extra?.labels;
    const h = this.#heads.get(entityId);
    if (
      h !== undefined &&
      h.deviceClass === deviceClass &&
      h.unit === unit &&
      h.area === area &&
      h.floor === floor &&
      h.device === device &&
      h.deviceId === deviceId &&
      h.labels === labels
    ) {
      return h;
    }
    const { domain, valid } = splitEntityId(entityId);
    const problems: Problem[] = [];
    const text = encodeSeries(domain, {
      area: area === undefined ? undefined : cap(area, 255, problems),
      floor: floor === undefined ? undefined : cap(floor, 255, problems),
      device: device === undefined ? undefined : cap(device, 255, problems),
      device_id: deviceId === undefined ? undefined : cap(deviceId, 255, problems),
      labels: labels === undefined ? undefined : cap(labels, 1024, problems),
      entity_id: cap(entityId, 255, problems),
      domain,
      device_class: deviceClass === undefined ? undefined : cap(deviceClass, 255, problems),
      unit: unit === undefined ? undefined : cap(unit, 255, problems),
    });
    const head: SeriesHead = {
      deviceClass,
      unit,
      area,
      floor,
      device,
      deviceId,
      labels,
      text,
      hostile: !valid,
      truncated: problems.length,
    };
    this.#heads.set(entityId, head);
    return head;
  }
}
