"""Every role documents itself: README mirrors its defaults, argument_specs covers every default."""
import pathlib

import pytest
import yaml

ROLES = sorted(p for p in (pathlib.Path(__file__).parents[2] / "roles").iterdir() if p.is_dir())


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_readme_copies_the_defaults(role):
    defaults = (role / "defaults" / "main.yml").read_text().split("\n", 1)[1].rstrip()
    assert defaults in (role / "README.md").read_text()


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_argument_specs_cover_every_default_and_prefix(role):
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text()) or {}
    spec = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    assert sorted(defaults) == sorted(spec)
    assert all(name.startswith(role.name + "_") for name in defaults)
