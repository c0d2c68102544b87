"""The import layers of pyproject.toml hold, and CI checks them (docs/architecture.md)."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    declared = (ROOT / "pyproject.toml").read_text().count("[[tool.importlinter.contracts]]")
    assert f"Contracts: {declared} kept, 0 broken." in result.stdout


def test_ci_fails_on_a_broken_contract():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "set -euo pipefail" in ci
    assert "\n.venv/bin/lint-imports\n" in ci


def test_the_files_docs_architecture_names_exist():
    text = (ROOT / "docs" / "architecture.md").read_text()
    named = set(re.findall(r"`([a-z_]+(?:/[a-z_0-9]+)*/[a-z_0-9]+\.(?:py|md|toml))`", text))
    assert len(named) > 20
    assert sorted(path for path in named if not (ROOT / path).is_file()) == []


def test_every_package_with_tests_is_in_pytests_testpaths():
    """A new app's tests run with the suite: pytest.ini's testpaths names every package that
    has a tests folder (a forgotten one is collected by nobody and passes silently)."""
    import configparser
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    config = configparser.ConfigParser()
    config.read(root / "pytest.ini")
    testpaths = set(config["pytest"]["testpaths"].split())
    with_tests = {
        path.parent.name
        for path in root.glob("*/tests")
        if (path.parent / "__init__.py").exists() and path.parent.name != ".venv"
    }
    assert with_tests <= testpaths, sorted(with_tests - testpaths)
