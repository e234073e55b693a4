"""scripts/test.sh runs Molecule scenarios side by side on one engine and one host network: no two hosts, in one
scenario or across scenarios, may share a host container name, a dev container name, a host path or a port."""
import collections
import pathlib

import yaml

MOLECULE = pathlib.Path(__file__).parents[2] / "molecule"


def claims():
    """(kind, value) -> ["<scenario>/<host>", ...] for everything a stand-in host takes on the machine."""
    taken = collections.defaultdict(list)
    for path in sorted(MOLECULE.glob("*/molecule.yml")):
        scenario = path.parent.name
        config = yaml.safe_load(path.read_text())
        for platform in config.get("platforms", []):
            taken[("host container", platform["name"])].append(scenario)
        inventory = config.get("provisioner", {}).get("inventory", {})
        common = inventory.get("group_vars", {}).get("all", {})
        for host, own in inventory.get("host_vars", {}).items():
            settings = dict(common, **own)
            who = "%s/%s" % (scenario, host)
            for key in ("gh200_container_name", "gh200_root", "gh200_workspace"):
                if key in settings:
                    taken[(key, settings[key])].append(who)
            for name, value in settings.get("container_env", {}).items():
                if name.endswith("_PORT"):
                    taken[("port", int(value))].append(who)
            if "port" in settings.get("inference_server_args", {}):
                taken[("port", int(settings["inference_server_args"]["port"]))].append(who)
    return taken


def test_no_two_hosts_share_a_name_a_path_or_a_port():
    taken = claims()
    assert any(kind == "port" for kind, value in taken), "no port found: the scenarios' layout changed"
    shared = dict((k, v) for k, v in taken.items() if len(v) > 1)
    assert shared == {}, shared
