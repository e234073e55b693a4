"""Shared fixtures for the testinfra suites.

They run under Molecule's testinfra verifier, and also outside it against any inventory:
    pytest tests/testinfra --hosts='ansible://gh200' --ansible-inventory=<inventory>
Each host's settings come from its inventory variables (the same gh200_* variables the roles read).
"""
import pytest


@pytest.fixture(scope="module")
def gh200(host):
    """The host's gh200_* inventory variables, plus the host user's uid and gid."""
    variables = host.ansible.get_variables()
    settings = {k: v for k, v in variables.items() if k.startswith("gh200_")}
    user = host.user(settings["gh200_host_user"])
    settings["uid"] = user.uid
    settings["gid"] = user.gid
    return settings
