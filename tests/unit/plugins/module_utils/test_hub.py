import hashlib
import os
import subprocess

import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _hub


def test_the_git_blob_id_is_gits_own(tmp_path):
    (tmp_path / "f").write_bytes(b"hello\n")
    out = subprocess.run(["git", "hash-object", str(tmp_path / "f")], capture_output=True, text=True, check=True).stdout.strip()
    assert _hub.git_blob_sha1(b"hello\n") == out


def entries_for(folder, lfs=("w.safetensors",)):
    out = []
    for name in sorted(os.listdir(str(folder))):
        data = (folder / name).read_bytes()
        out.append(_hub.entry(name, len(data), _hub.git_blob_sha1(data),
                              hashlib.sha256(data).hexdigest() if name in lfs else None))
    return out


def test_to_fetch_names_missing_files_and_files_of_another_size(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "w.safetensors").write_bytes(b"x" * 10)
    listed = entries_for(tmp_path) + [_hub.entry("tokenizer.json", 5, "0" * 40)]
    assert [e["path"] for e in _hub.to_fetch(listed, str(tmp_path))] == ["tokenizer.json"]
    (tmp_path / "w.safetensors").write_bytes(b"x" * 9)
    assert [e["path"] for e in _hub.to_fetch(listed, str(tmp_path))] == ["w.safetensors", "tokenizer.json"]
    os.unlink(str(tmp_path / "config.json"))
    os.symlink("w.safetensors", str(tmp_path / "config.json"))  # a link is never taken for the file
    assert [e["path"] for e in _hub.to_fetch(listed, str(tmp_path))][0] == "config.json"


def test_verify_compares_sha256_for_lfs_files_and_the_blob_id_for_the_rest(tmp_path):
    (tmp_path / "config.json").write_text('{"a": 1}')
    (tmp_path / "w.safetensors").write_bytes(b"weights")
    listed = entries_for(tmp_path)
    assert _hub.verify(listed, str(tmp_path)) == []
    (tmp_path / "w.safetensors").write_bytes(b"weightz")
    (tmp_path / "config.json").write_text('{"a": 2}')
    assert _hub.verify(listed, str(tmp_path)) == [
        ("config.json", "git blob id %s, the hub lists %s" % (_hub.git_blob_sha1(b'{"a": 2}'), listed[0]["blob_id"])),
        ("w.safetensors", "sha256 %s, the hub lists %s" % (hashlib.sha256(b"weightz").hexdigest(), listed[1]["sha256"]))]


def test_verify_names_missing_short_linked_and_special_files(tmp_path):
    (tmp_path / "a").write_bytes(b"12345")
    (tmp_path / "b").write_bytes(b"1")
    (tmp_path / "c").write_bytes(b"1")
    listed = [_hub.entry("a", 6, "x"), _hub.entry("b", 1, "x"), _hub.entry("c", 1, "x"), _hub.entry("d", 1, "x"), _hub.entry("e", 1, "x")]
    os.unlink(str(tmp_path / "b"))
    os.symlink("/etc/hostname", str(tmp_path / "b"))
    os.link(str(tmp_path / "c"), str(tmp_path / "c2"))
    os.mkfifo(str(tmp_path / "e"))
    assert _hub.verify(listed, str(tmp_path)) == [
        ("a", "5 bytes, the hub lists 6"), ("b", "cannot open (Too many levels of symbolic links)"), ("c", "hard-linked (2 links)"),
        ("d", "missing after the download"), ("e", "not a regular file")]


def test_paths_that_leave_the_model_directory_are_named():
    listed = [_hub.entry(p, 1, "x") for p in ("ok/a.json", "../x", "/etc/passwd", "a//b", "./c", "")]
    assert _hub.leaving_paths(listed) == ["../x", "/etc/passwd", "a//b", "./c", ""]


def test_the_token_file_must_be_its_owners_only_and_hold_one_token(tmp_path):
    token = tmp_path / "t"
    token.write_text("hf_abc\n")
    token.chmod(0o600)
    uid = os.geteuid()
    assert _hub.read_token_file(str(token), uid) == "hf_abc"
    token.chmod(0o400)
    assert _hub.read_token_file(str(token), uid) == "hf_abc"
    token.chmod(0o640)
    with pytest.raises(ValueError, match=r"has mode 0640: it must be 0400 or 0600"):
        _hub.read_token_file(str(token), uid)
    token.chmod(0o600)
    with pytest.raises(ValueError, match=r"belongs to uid %d, not to the user fetching \(uid 4242\)" % uid):
        _hub.read_token_file(str(token), 4242)
    token.write_text("two words\n")
    with pytest.raises(ValueError, match="does not hold one token"):
        _hub.read_token_file(str(token), uid)
    os.symlink(str(token), str(tmp_path / "link"))
    with pytest.raises(ValueError, match="cannot be opened"):
        _hub.read_token_file(str(tmp_path / "link"), uid)


class GatedRepoError(Exception):
    pass


class RepositoryNotFoundError(Exception):
    pass


class ConnectError(Exception):
    pass


def test_errors_are_one_line_naming_the_model_and_the_cause():
    assert _hub.error_line(GatedRepoError("401"), "o/m", "http://h", False) == (
        "o/m is gated: the hub at http://h refused it without a token (give host_prep_model_fetch_token_file)")
    assert "refused the token given" in _hub.error_line(GatedRepoError("403"), "o/m", "http://h", True)
    assert _hub.error_line(RepositoryNotFoundError("x"), "o/m", "http://h", False).startswith("o/m is not on the hub at http://h")
    line = _hub.error_line(ConnectError("connection\nrefused Request ID: 123"), "o/m", "http://h", False)
    assert line == "o/m from the hub at http://h failed: ConnectError: connection refused"
