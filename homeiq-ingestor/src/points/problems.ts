/** What an encoder could not take as is; counted and logged once per kind by the caller. */
export type Problem =
  | 'bad_event'
  | 'bad_timestamp'
  | 'hostile_entity_id'
  | 'truncated'
  | 'unencodable_attribute'
  /** A field key met again in the same point (two attribute names that differ only in replaced characters). */
  | 'duplicate_field'
  | 'entity_removed'
  /** A point whose attributes went past the point budget: the rest were left out, `dropped_attributes` says how many. */
  | 'oversized_point'
  | 'skipped_state';
