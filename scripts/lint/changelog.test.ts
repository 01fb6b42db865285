import { describe, expect, it } from 'vitest';
import { changelogProblem, newestEntry } from './changelog.ts';

const log = (...entries: string[]): string =>
  `# Changelog\n\nIntro.\n\n${entries.map((e) => `${e}\n\n- x\n`).join('\n')}`;

describe('changelogProblem', () => {
  it("accepts a changelog whose newest entry is config.yaml's version", () => {
    expect(changelogProblem(log('## [0.2.0] - 2026-12-01', '## [0.1.0]'), '0.2.0')).toBeUndefined();
    expect(changelogProblem(log('## 0.2.0'), '0.2.0')).toBeUndefined();
  });

  it('refuses an [Unreleased] entry on top, a stale one, or none, with the line', () => {
    expect(changelogProblem(log('## [Unreleased]', '## [0.1.0]'), '0.1.0')).toEqual({
      message: expect.stringMatching(/newest entry is '\[Unreleased\]', but CI publishes config.yaml's version 0.1.0/),
      line: 5,
    });
    expect(changelogProblem(log('## [0.1.0]'), '0.1.1')?.message).toMatch(/newest entry is 0.1.0, but .* 0.1.1/);
    expect(changelogProblem('# Changelog\n', '0.1.0')?.message).toMatch(/no '## \[0.1.0\]' entry/);
  });

  it('reads the newest entry only', () => {
    expect(newestEntry(log('## [1.2.3]', '## [1.2.2]'))).toEqual({ version: '1.2.3', line: 5 });
  });
});
