"""Print the PyPI requirements of every integration a config will load.

Run with the Python of a virtualenv that has `homeassistant` installed:

    python integration_requirements.py CONFIGURATION_YAML [--also D1,D2] [--domains]

Home Assistant installs integration requirements at runtime from PyPI. Started
with --skip-pip it does not, so everything it imports must be in the venv
beforehand. The set of integrations it sets up is (see bootstrap._get_domains):
the top-level keys of configuration.yaml, platforms referenced from them
(`- platform: x`, entity domains inside `template:` blocks), plus
CORE_INTEGRATIONS, DEFAULT_INTEGRATIONS and the logging integrations, and the
transitive closure of their manifest `dependencies` and `after_dependencies`.
This prints the union of the `requirements` of that closure, one per line
(or, with --domains, the domains whose modules must import cleanly).
`--also` adds integrations a test sets up at run time (not in the template).
"""

from __future__ import annotations

import json
import pathlib
import sys
from typing import Any

import yaml

import homeassistant
from homeassistant import bootstrap

COMPONENTS = pathlib.Path(homeassistant.__file__).parent / "components"


class _AnyTagLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """SafeLoader that maps HA's custom tags (!include, !secret, ...) to None."""


_AnyTagLoader.add_multi_constructor("!", lambda _loader, _suffix, _node: None)


def _manifest(domain: str) -> dict[str, Any] | None:
    path = COMPONENTS / domain / "manifest.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _config_domains(config: dict[str, Any]) -> set[str]:
    domains: set[str] = set()
    for key, value in config.items():
        domain = str(key).split(" ")[0]
        if domain == "homeassistant":
            continue
        domains.add(domain)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if not isinstance(item, dict):
                continue
            if isinstance(item.get("platform"), str):
                domains.add(item["platform"])
            if domain == "template":
                domains.update(k for k in item if _manifest(str(k)) is not None)
    return domains


def main() -> int:
    """Entry point."""
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    text = pathlib.Path(sys.argv[1]).read_text(encoding="utf-8")
    config = yaml.load(text, Loader=_AnyTagLoader) or {}  # noqa: S506
    # LOGGING_INTEGRATIONS became LOGGING_AND_HTTP_DEPS_INTEGRATIONS in 2024.x;
    # read whichever this version has.
    logging_integrations = getattr(
        bootstrap,
        "LOGGING_INTEGRATIONS",
        getattr(bootstrap, "LOGGING_AND_HTTP_DEPS_INTEGRATIONS", set()),
    )
    also: set[str] = set()
    if "--also" in sys.argv[2:]:
        index = sys.argv.index("--also")
        also = {d for d in sys.argv[index + 1].split(",") if d} if index + 1 < len(sys.argv) else set()
    start = (
        also
        | _config_domains(config)
        | set(bootstrap.CORE_INTEGRATIONS)
        | set(bootstrap.DEFAULT_INTEGRATIONS)
        | (set(logging_integrations) - {"sentry"})
    )
    seen: set[str] = set()
    todo = sorted(start)
    while todo:
        domain = todo.pop()
        if domain in seen:
            continue
        manifest = _manifest(domain)
        if manifest is None:
            print(f"unknown integration: {domain}", file=sys.stderr)
            return 1
        seen.add(domain)
        todo.extend(manifest.get("dependencies", []))
        todo.extend(manifest.get("after_dependencies", []))
    if "--domains" in sys.argv[2:]:
        # Includes after_dependencies that are not set up here (hassio, cloud,
        # ...). provision.sh imports them all as a cheap consistency check:
        # e.g. http imports hass_nabucasa lazily per request, which breaks
        # with josepy 2.
        for domain in sorted(seen):
            print(domain)
        return 0
    requirements: set[str] = set()
    for domain in seen:
        requirements.update((_manifest(domain) or {}).get("requirements", []))
    for requirement in sorted(requirements, key=str.lower):
        print(requirement)
    return 0


if __name__ == "__main__":
    sys.exit(main())
