// Dockerfile, PNG and shebang helpers of scripts/lint.
import { describe, expect, it } from 'vitest';
import { checkDockerfile, parseDockerfile } from './dockerfile.ts';
import { imageSizeProblem, pngSize } from './png.ts';
import { problemSink, type Problem } from './problems.ts';
import { shellFromShebang } from './shellcheck.ts';
import { pngHeader } from '../../tests/harness/lint-fixture.js';

describe('png', () => {
  it('reads the IHDR size', () => {
    expect(pngSize(pngHeader(128, 64))).toEqual({ width: 128, height: 64 });
    expect(pngSize(Buffer.from('GIF89a....................'))).toBeUndefined();
  });
  it('wants a 128×128 icon', () => {
    expect(imageSizeProblem('icon', { width: 128, height: 128 })).toBeUndefined();
    expect(imageSizeProblem('icon', { width: 256, height: 256 })).toMatch(/expected 128×128/);
    expect(imageSizeProblem('icon', undefined)).toBe('is not a PNG file');
  });
  it('wants a logo of about 250×100 (±20%)', () => {
    expect(imageSizeProblem('logo', { width: 250, height: 100 })).toBeUndefined();
    expect(imageSizeProblem('logo', { width: 300, height: 80 })).toBeUndefined();
    expect(imageSizeProblem('logo', { width: 301, height: 100 })).toMatch(/about 250×100/);
    expect(imageSizeProblem('logo', { width: 250, height: 79 })).toMatch(/about 250×100/);
    expect(imageSizeProblem('logo', { width: 128, height: 128 })).toMatch(/about 250×100/);
  });
});

const GOOD = `# syntax=docker/dockerfile:1
ARG BASE_TAG=3.23
FROM node:24-alpine AS build
RUN echo build

FROM ghcr.io/home-assistant/base:\${BASE_TAG}
ARG BUILD_VERSION BUILD_ARCH
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY --from=build /x /x
COPY rootfs /
HEALTHCHECK --interval=30s \\
  CMD curl -fsS http://127.0.0.1:8325/health || exit 1
LABEL \\
  io.hass.version="\${BUILD_VERSION}" \\
  io.hass.type="app" \\
  io.hass.arch="\${BUILD_ARCH}" \\
  org.opencontainers.image.title="HomeIQ"
`;

function dockerProblems(text: string): Problem[] {
  const sink = problemSink('homeiq-test/Dockerfile');
  checkDockerfile(text, sink);
  return sink.problems;
}

describe('Dockerfile', () => {
  it('joins continuation lines and keeps start lines', () => {
    const ins = parseDockerfile(GOOD);
    expect(ins.find((i) => i.instruction === 'HEALTHCHECK')?.line).toBe(11);
    expect(ins.filter((i) => i.instruction === 'LABEL')[0]?.args).toContain('io.hass.arch=');
  });

  it('passes a pinned HA base with HEALTHCHECK and io.hass labels', () => {
    expect(dockerProblems(GOOD)).toEqual([]);
  });

  // biome-ignore-start lint/suspicious/noTemplateCurlyInString: ${…} here is Dockerfile ARG syntax, not a template
  it.each([
    ['latest', GOOD.replace('ARG BASE_TAG=3.23', 'ARG BASE_TAG=latest')],
    ['no tag', GOOD.replace('base:${BASE_TAG}', 'base')],
    ['an unresolvable ARG', GOOD.replace('ARG BASE_TAG=3.23', 'ARG BASE_TAG')],
    ['another base image', GOOD.replace('ghcr.io/home-assistant/base:${BASE_TAG}', 'alpine:3.23')],
    ['an unpinned builder stage', GOOD.replace('node:24-alpine', 'node')],
    // biome-ignore-end lint/suspicious/noTemplateCurlyInString: end of the Dockerfile texts
  ])('rejects FROM with %s', (_label, text) => {
    expect(dockerProblems(text).map((p) => p.rule)).toContain('dockerfile-from');
  });

  it('needs a HEALTHCHECK in the final stage', () => {
    const without = GOOD.replace(/HEALTHCHECK[^\n]*\\\n[^\n]*\n/, '');
    expect(dockerProblems(without).map((p) => p.rule)).toEqual(['dockerfile-healthcheck']);
    expect(
      dockerProblems(GOOD.replace(/HEALTHCHECK[^\n]*\\\n[^\n]*\n/, 'HEALTHCHECK NONE\n')).map((p) => p.rule),
    ).toEqual(['dockerfile-healthcheck']);
  });

  it('needs io.hass.version, io.hass.type=app and io.hass.arch labels', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile ARG syntax, not a template
    const noArch = GOOD.replace('  io.hass.arch="${BUILD_ARCH}" \\\n', '');
    expect(dockerProblems(noArch).map((p) => p.message)).toEqual(['final stage has no LABEL io.hass.arch']);
    expect(dockerProblems(GOOD.replace('io.hass.type="app"', 'io.hass.type="base"')).map((p) => p.rule)).toEqual([
      'dockerfile-labels',
    ]);
  });

  it('reports a missing FROM', () => {
    expect(dockerProblems('RUN true\n').map((p) => p.rule)).toEqual(['dockerfile-from']);
  });
});

describe('shebang → shellcheck dialect', () => {
  it.each([
    ['#!/bin/sh', 'sh'],
    ['#!/bin/bash', 'bash'],
    ['#!/usr/bin/env bash', 'bash'],
    ['#!/usr/bin/env -S bash -e', 'bash'],
    ['#!/command/with-contenv sh', 'sh'],
    ['#!/command/with-contenv bashio', 'bash'],
    ['#!/usr/bin/with-contenv bashio', 'bash'],
    ['#!/bin/dash', 'dash'],
    ['#!/command/execlineb -P', undefined],
    ['#!/usr/bin/env node', undefined],
    ['echo no shebang', undefined],
  ])('%s → %s', (line, shell) => {
    expect(shellFromShebang(line)).toBe(shell);
  });
});
