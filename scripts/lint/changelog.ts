// CHANGELOG.md against config.yaml: CI publishes the version config.yaml names (unless that image already exists),
// and the Supervisor shows the changelog when a user updates, so its newest entry must be that version.

/** The version of the newest `## [x.y.z]` (or `## x.y.z`) entry, `Unreleased` for an unreleased one, else undefined. */
export function newestEntry(text: string): { version: string; line: number } | undefined {
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    const m = /^## \[?([^\]\s]+)\]?/.exec(line);
    if (m?.[1]) return { version: m[1], line: i + 1 };
  }
  return undefined;
}

/** What is wrong with the changelog for an add-on at `version`, or undefined. */
export function changelogProblem(text: string, version: unknown): { message: string; line?: number } | undefined {
  if (typeof version !== 'string') return undefined; // config.yaml's own check reports it
  const newest = newestEntry(text);
  if (!newest) return { message: `no '## [${version}]' entry for the version in config.yaml` };
  if (newest.version === version) return undefined;
  if (newest.version.toLowerCase() === 'unreleased')
    return {
      message: `the newest entry is '[Unreleased]', but CI publishes config.yaml's version ${version}: name the entry '## [${version}]' (and bump 'version' for changes after a release)`,
      line: newest.line,
    };
  return {
    message: `the newest entry is ${newest.version}, but config.yaml's version is ${version}: they must be the same (CI publishes config.yaml's version with this text)`,
    line: newest.line,
  };
}
