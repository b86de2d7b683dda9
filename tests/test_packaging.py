"""The pins: every direct dependency in pyproject.toml is in requirements.lock at that version."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_direct_dependencies_are_pinned_in_the_lock():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lock = {
        _key(line.split("==")[0]): line.split("==")[1].strip()
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    direct = project["dependencies"] + project["optional-dependencies"]["dev"]
    for requirement in direct:
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==(\S+)", requirement)
        assert match, f"{requirement} is not pinned with =="
        name, version = match.groups()
        assert lock.get(_key(name)) == version, (
            f"{name}: pyproject {version}, lock {lock.get(_key(name))}"
        )
