"""_docker's secret files: a 0400 file per secret in a 0500 folder, owned by the host user, written and read back
through the engine's archive API (a fake container here), compared by digest only."""
import io
import tarfile

from ansible_collections.gh200.sglang.plugins.module_utils import _docker


class FakeContainer:
    """put_archive/get_archive over an in-memory tar, as the engine does for /run."""

    name = "sglang-dev"

    def __init__(self):
        self.archive = None

    def put_archive(self, path, data):
        assert path == "/run"
        self.archive = data
        return True

    def get_archive(self, path):
        if self.archive is None:
            raise _docker.NotFound("no such file: %s" % path)
        return iter([self.archive[:100], self.archive[100:]]), {}


def test_each_secret_is_a_0400_file_of_the_host_user_in_a_0500_folder():
    data = _docker.secret_tar({"HF_TOKEN": "hf_abc", "OTHER": 5}, 1001, 1002, now=1)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = dict((m.name, m) for m in tar.getmembers())
        assert sorted(members) == ["gh200-secrets", "gh200-secrets/HF_TOKEN", "gh200-secrets/OTHER"]
        assert members["gh200-secrets"].isdir() and members["gh200-secrets"].mode == 0o500
        assert [(m.mode, m.uid, m.gid) for n, m in sorted(members.items()) if m.isfile()] == [(0o400, 1001, 1002)] * 2
        assert tar.extractfile(members["gh200-secrets/HF_TOKEN"]).read() == b"hf_abc"
    assert _docker.secret_paths(["HF_TOKEN"]) == {"HF_TOKEN_PATH": "/run/gh200-secrets/HF_TOKEN"}


def test_what_is_in_the_container_is_compared_by_digest():
    container = FakeContainer()
    assert _docker.read_secret_digests(container, ["HF_TOKEN"]) == {"HF_TOKEN": None}
    _docker.put_secret_files(container, {"HF_TOKEN": "hf_abc"}, 1001, 1001)
    found = _docker.read_secret_digests(container, ["HF_TOKEN", "MISSING"])
    assert found == {"HF_TOKEN": _docker.secret_digests({"HF_TOKEN": "hf_abc"})["HF_TOKEN"], "MISSING": None}
    assert "hf_abc" not in repr(found)
