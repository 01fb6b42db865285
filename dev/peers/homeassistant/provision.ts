// The Home Assistant versions of ./VERSIONS and their cached venvs (built by provision.sh).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PEER_DIR = dirname(fileURLToPath(import.meta.url));
const PROVISION_SCRIPT = join(PEER_DIR, 'provision.sh');

/** Bound for provision.sh (a cold build took 90-160 s on 2 busy cores; pip may be slow). */
const PROVISION_TIMEOUT_MS = 20 * 60_000;

/**
 * `main`: the current Home Assistant every real-HA end-to-end suite runs against. `floor`: the oldest one the
 * ingestor supports (its config.yaml `homeassistant:`), for the conformance test and one smoke.
 */
export type HaRole = 'main' | 'floor';
export const HA_ROLES: readonly HaRole[] = ['main', 'floor'];

export interface HaVersion {
  role: HaRole;
  /** Home Assistant Core version, e.g. `2025.4.4`. */
  version: string;
  /** Python minor version it runs on, e.g. `3.13`. */
  python: string;
  /** pip `--uploaded-prior-to` date. */
  cutoff: string;
}

/** The lines of ./VERSIONS, by role (read synchronously: a small file in the repository). */
export function haVersion(role: HaRole): HaVersion {
  for (const raw of readFileSync(join(PEER_DIR, 'VERSIONS'), 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [r, version, python, cutoff] = line.split(/\s+/);
    if (r === role && version && python && cutoff) return { role, version, python, cutoff };
  }
  throw new Error(`dev/peers/homeassistant/VERSIONS has no complete line for role '${role}'`);
}

/** A provisioned venv. */
export interface ProvisionedHa extends HaVersion {
  /** The venv's python. */
  pythonBinary: string;
}

/**
 * Runs provision.sh for `role`: builds or reuses the cached venv
 * (`${HOMEIQ_CACHE:-~/.cache/homeiq}/homeassistant/<version>-py<python>/<fingerprint>/venv`). Its `[ha-provision]` progress
 * lines go to this process's stderr. Takes ~20 ms when the venv is complete, 1.5-3 min when it has to be built.
 */
export async function provisionHomeAssistant(role: HaRole = 'main'): Promise<ProvisionedHa> {
  const wanted = haVersion(role);
  const pythonBinary = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [PROVISION_SCRIPT, role], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGTERM'), PROVISION_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`provision.sh could not run: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lines = out.trim().split('\n');
      const last = lines[lines.length - 1] ?? '';
      if (code === 0 && last !== '') resolve(last);
      else
        reject(
          new Error(
            `provision.sh ${role} failed (${signal ?? `exit ${String(code)}`}); its [ha-provision] ERROR line on stderr says why`,
          ),
        );
    });
  });
  return { ...wanted, pythonBinary };
}
