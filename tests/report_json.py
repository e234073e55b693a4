"""report.json as the tests read it: the collection's own reader (_report.loaded), so each host's checks are one list
again, each with its phase and its ISO time, whichever format the file has (report.json groups them by phase)."""
import json
import os
import sys

_COLLECTIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "collections")
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)
from ansible_collections.gh200.sglang.plugins.plugin_utils import _report  # noqa: E402  pylint: disable=wrong-import-position


def loads(text):
    """The data of a report.json's text."""
    return _report.loaded(json.loads(text))


def load(path):
    """The data of the report.json at ``path``."""
    with open(str(path)) as handle:
        return loads(handle.read())
