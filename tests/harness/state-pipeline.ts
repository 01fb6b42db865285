/**
 * The state pipeline the backfill, import and refill tests write through: the HomeIQ layout's encoder (texts
 * capped at 1,000 characters), restart digests and the pipeline into `sink`. Not a test file itself.
 */
import { EventEncoder } from '../../homeiq-ingestor/src/points/event-encoder.js';
import { EntityFilter } from '../../homeiq-ingestor/src/points/filter.js';
import { StateDigests } from '../../homeiq-ingestor/src/points/restart-digest.js';
import { StatePipeline, type PipelineSink } from '../../homeiq-ingestor/src/points/state-pipeline.js';

export interface TestPipelineOptions {
  sink: PipelineSink;
  /** Every entity when not given. */
  filter?: EntityFilter;
  /** Default true, as the ingestor runs. */
  skipRestartDuplicates?: boolean;
}

export function testPipeline(opts: TestPipelineOptions): {
  encoder: EventEncoder;
  digests: StateDigests;
  pipeline: StatePipeline;
} {
  const filter =
    opts.filter ??
    new EntityFilter({ includeDomains: [], includeEntities: [], excludeDomains: [], excludeEntities: [] });
  const encoder = new EventEncoder(
    { maxStringLength: 1000, excludeAttributes: new Set(), layout: 'homeiq' },
    filter,
    () => undefined,
  );
  const digests = new StateDigests();
  const pipeline = new StatePipeline({
    encoder,
    sink: opts.sink,
    digests,
    skipRestartDuplicates: opts.skipRestartDuplicates ?? true,
  });
  return { encoder, digests, pipeline };
}
