import type { Logger } from '@homeiq/shared';
import { generateCredentials, type Credentials, type CredentialsStore } from './credentials.js';
import { InfluxApiError, type InfluxApi } from './influx/api.js';
import { daysToSeconds, type InfluxdbOptions } from './options.js';

export interface OnboardOptions {
  api: InfluxApi;
  store: CredentialsStore;
  options: InfluxdbOptions;
  log: Logger;
  /** Called with the credentials as soon as they are known, before InfluxDB is asked anything with them. */
  remember: (c: Credentials) => void;
  /** Throws when the add-on is stopping; called between steps only. */
  step: () => void;
}

/**
 * The first start's onboarding of InfluxDB, and our org on every start: the operator credentials are written to
 * disk before InfluxDB learns them, and the org id is saved with them (completed after an interrupted first
 * start); the org is renamed when the `org` option changed.
 */
export async function onboard(o: OnboardOptions): Promise<{ creds: Credentials; orgId: string }> {
  const { api, store, options, log, remember, step } = o;
  let creds = await store.load();
  if (creds) remember(creds);
  if (await api.setupAllowed()) {
    creds ??= generateCredentials();
    remember(creds);
    await store.save(creds);
    const t0 = Date.now();
    const r = await api.setup({
      username: creds.username,
      password: creds.password,
      token: creds.operatorToken,
      org: options.org,
      bucket: options.bucket,
      retentionPeriodSeconds: daysToSeconds(options.retention_days),
    });
    creds = { ...creds, orgId: r.orgId };
    await store.save(creds);
    log.info(
      `onboarded InfluxDB in ${Date.now() - t0} ms: org ${options.org}, bucket ${options.bucket}; operator credentials in ${store.file}`,
    );
  } else if (!creds) {
    throw new Error(
      `InfluxDB is already set up but ${store.file} is missing, so this add-on cannot manage it. ` +
        'Restore the add-on from a backup, or uninstall and reinstall it to start with an empty database.',
    );
  }
  remember(creds);
  step();
  const orgId = await org(api, log, creds, options.org);
  if (creds.orgId !== orgId) {
    const interrupted = creds.orgId === undefined;
    creds = { ...creds, orgId };
    await store.save(creds);
    if (interrupted)
      log.info(`completed credentials.json with the id of org ${options.org} (an earlier first start was interrupted)`);
  }
  return { creds, orgId };
}

/** Our org's id; renames it when the `org` option changed. */
async function org(api: InfluxApi, log: Logger, creds: Credentials, name: string): Promise<string> {
  let found: { id: string; name: string };
  try {
    found = creds.orgId ? await api.org(creds.orgId) : await findOrg(api, name);
  } catch (err) {
    if (err instanceof InfluxApiError && err.status === 401) {
      throw new Error(
        'InfluxDB rejects the stored operator token; the data dir and credentials.json do not belong together',
      );
    }
    throw err;
  }
  if (found.name !== name) {
    await api.renameOrg(found.id, name);
    log.info(`renamed org ${found.name} to ${name}`);
  }
  return found.id;
}

/**
 * The org of credentials saved without its id: a first start that died between onboarding and saving
 * the id. Our operator token still opens InfluxDB then (a token it refuses is a 401: someone else's).
 */
async function findOrg(api: InfluxApi, name: string): Promise<{ id: string; name: string }> {
  const orgs = await api.orgs();
  const found = orgs.find((o) => o.name === name) ?? (orgs.length === 1 ? orgs[0] : undefined);
  if (!found)
    throw new Error(
      `the credentials file has no org id and InfluxDB has no organization named ${name}; InfluxDB was set up by someone else`,
    );
  return found;
}
