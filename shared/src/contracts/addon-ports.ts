/**
 * The ports the HomeIQ add-ons listen on inside the add-on network (docs/CONVENTIONS.md "Ports"). The same
 * numbers stand in each add-on's config.yaml and Dockerfile HEALTHCHECK, which cannot import them; the add-on
 * config lint and the bundle tests hold those to these.
 */
export const ADDON_PORTS = {
  /** homeiq-ingestor's internal API: `/health`, `/metrics`, `/api/*`. */
  ingestorApi: 8325,
  /** homeiq-influxdb's manager API: `/health`, `/api/tokens`, `/api/buckets` … */
  influxdbManager: 8326,
  /** influxd's HTTP API inside homeiq-influxdb. */
  influxd: 8086,
  /** homeiq-admin's ingress port (the Supervisor's default). */
  adminIngress: 8099,
} as const;
