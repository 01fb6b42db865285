import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '../../../dev/stack.js';
import { until } from '../../../dev/until.js';

// `npm start` is this stack plus a printout; here it runs with the simulated demo home.
let stack: DevStack;
let dataRoot: string;

beforeAll(async () => {
  dataRoot = await mkdtemp(join(tmpdir(), 'homeiq-dev-stack-'));
  stack = await startDevStack({ dataRoot, port: 0, addressBlock: '127.0.7' });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await rm(dataRoot, { recursive: true, force: true });
});

async function overview(): Promise<{
  siblings: Array<{ slug: string; installed: boolean; health?: { checks: Array<{ name: string; status: string }> } }>;
}> {
  const res = await fetch(`${stack.panelUrl}api/overview`);
  expect(res.status).toBe(200);
  return (await res.json()) as Awaited<ReturnType<typeof overview>>;
}

describe('npm start stack', () => {
  it('serves the panel and its /health through the ingress emulator', async () => {
    const health = await fetch(`${stack.panelUrl}health`);
    expect(health.status).toBe(200);
    const page = await fetch(stack.panelUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`<base href="${new URL(stack.panelUrl).pathname.replace(/\/$/, '')}/">`);
    expect(html).toContain('Signed in as Test Admin');
  });

  it('shows both siblings installed and the ingestor connected to Home Assistant', async () => {
    const last = await until('the ingestor connected to Home Assistant', overview, {
      ok: (o) =>
        o.siblings
          .find((s) => s.slug === 'homeiq-ingestor')
          ?.health?.checks.some((c) => c.name === 'home-assistant' && c.status === 'green') === true,
      ms: 30_000,
      everyMs: 250,
    });
    expect(last.siblings.map((s) => [s.slug, s.installed])).toEqual([
      ['homeiq-ingestor', true],
      ['homeiq-influxdb', true],
    ]);
    const ingestor = last.siblings.find((s) => s.slug === 'homeiq-ingestor');
    expect(ingestor?.health?.checks.find((c) => c.name === 'home-assistant')?.status).toBe('green');
  });

  it("the simulated home answers the ingestor's notification calls (no retry every 30 s)", async () => {
    // The reporter reads Home Assistant's notifications each second once connected (above): give it a few.
    await new Promise((r) => setTimeout(r, 3000));
    expect(stack.addons.ingestor.lines.filter((l) => /cannot update Home Assistant's notifications/.test(l))).toEqual(
      [],
    );
  });
});
