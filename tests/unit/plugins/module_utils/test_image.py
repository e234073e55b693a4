"""The dev image's content hash and the build's output read back."""
import os

import pytest
from docker.utils.build import exclude_paths

from ansible_collections.gh200.sglang.plugins.module_utils import _image
from ansible_collections.gh200.sglang.plugins.modules import image_build


@pytest.fixture
def context(tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM base\nCOPY post-create.sh /\n")
    (ctx / "post-create.sh").write_text("#!/bin/sh\n")
    (ctx / ".dockerignore").write_text("# scratch files\n\n*.tmp\n")
    return ctx


def hash_of(ctx, build_args=None, target=None, dockerfile="Dockerfile"):
    patterns = _image.dockerignore_patterns((ctx / ".dockerignore").read_text())
    return _image.content_hash(str(ctx), exclude_paths(str(ctx), patterns, dockerfile), dockerfile, build_args or {}, target)


def test_the_hash_is_stable_and_follows_what_the_build_reads(context):
    first = hash_of(context)
    assert first == hash_of(context) and first.startswith("sha256:")
    (context / "scratch.tmp").write_text("ignored by .dockerignore")
    assert hash_of(context) == first
    (context / "Dockerfile").write_text("FROM base\nCOPY post-create.sh /\nRUN true\n")
    changed = hash_of(context)
    assert changed != first
    os.chmod(context / "post-create.sh", 0o755)
    assert hash_of(context) != changed


def test_the_local_id_of_each_base_image_is_part_of_the_hash(context):
    patterns = _image.dockerignore_patterns((context / ".dockerignore").read_text())
    files = exclude_paths(str(context), patterns, "Dockerfile")

    def hashed(bases):
        return _image.content_hash(str(context), files, "Dockerfile", {}, None, bases)
    assert hashed({"base:1": "sha256:aa"}) != hashed({"base:1": "sha256:bb"}) != hashed(None)
    assert hashed({}) == hashed(None) == hash_of(context)


@pytest.mark.parametrize("text, refs", [
    ("FROM sglang-dev-standin:testbed\nRUN true\n", ["sglang-dev-standin:testbed"]),
    ("FROM --platform=linux/arm64 base:1 AS build\nFROM build\nFROM scratch\nfrom other:2 as x\n", ["base:1", "other:2"]),
    # A FROM with a build-time variable: the ARG's default before the first FROM, or the build arg.
    ("ARG BASE=x:1\nFROM ${BASE}\nFROM base:1\nFROM base:1\n", ["x:1", "base:1"]),
    ("ARG BASE=sglang-dev-standin:testbed\nARG MARK=a\nFROM $BASE AS dev\nFROM dev\n", ["sglang-dev-standin:testbed"]),
    ("FROM ${UNSET}\nARG LATE=y:1\nFROM ${LATE}\n", []),  # an ARG after the first FROM is not in FROM's scope
])
def test_base_refs(text, refs):
    assert _image.base_refs(text) == refs


def test_a_build_arg_overrides_the_default_of_the_base():
    text = "ARG BASE=lmsysorg/sglang:dev\nFROM ${BASE}\n"
    assert _image.base_refs(text, {"BASE": "lmsysorg/sglang:v0.5.2-cu129-gh200"}) == ["lmsysorg/sglang:v0.5.2-cu129-gh200"]


def test_build_args_and_target_are_part_of_the_hash(context):
    plain = hash_of(context)
    assert hash_of(context, {"CUDA_VERSION": "12.8.1"}) != plain
    assert hash_of(context, {"CUDA_VERSION": "12.8.1"}) != hash_of(context, {"CUDA_VERSION": "12.9.0"})
    assert hash_of(context, target="dev") != plain


def test_dockerignore_patterns_drop_comments_and_blanks():
    assert _image.dockerignore_patterns("# c\n\n  *.tmp \n.git\n") == ["*.tmp", ".git"]


def test_a_failed_build_names_its_step_the_error_and_the_last_lines():
    log = _image.BuildLog()
    for message in [
        {"stream": "Step 1/3 : FROM base\n"}, {"stream": " ---> 1234\n"},
        {"stream": "Step 3/3 : RUN make\n"}, {"stream": "make: *** No rule to make target\n"},
        {"errorDetail": {"message": "The command '/bin/sh -c make' returned a non-zero code: 2"},
         "error": "The command '/bin/sh -c make' returned a non-zero code: 2"},
    ]:
        log.feed(message)
    line = log.failure("sglang-dev:gh200", "/logs/b.log", tail=2)
    assert line == ("image sglang-dev:gh200: build failed at Step 3/3 : RUN make: The command '/bin/sh -c make' "
                    "returned a non-zero code: 2; last lines: Step 3/3 : RUN make | make: *** No rule to make target; "
                    "log: /logs/b.log")
    assert log.text().endswith("ERROR: The command '/bin/sh -c make' returned a non-zero code: 2\n")


def test_a_successful_build_has_no_error():
    log = _image.BuildLog()
    log.feed({"stream": "Step 1/1 : FROM base\n"})
    log.feed({"aux": {"ID": "sha256:abc"}})
    assert log.error is None and log.image_id == "sha256:abc"


@pytest.mark.parametrize("reason, check_mode, text", [
    ("current", False, "img:1 (1f2e3d4c5b6a) current, sha256:5d41402abc4b"),
    ("changed", False, "img:1 (1f2e3d4c5b6a) built by this run (the Dockerfile or its context changed), sha256:5d41402abc4b"),
    ("missing", True, "img:1 (no image) would be built (the image was missing), sha256:5d41402abc4b"),
])
def test_summary(reason, check_mode, text):
    image_id = None if reason == "missing" else "sha256:1f2e3d4c5b6a7788"
    assert _image.summary("img:1", image_id, reason, "sha256:5d41402abc4b2a76", check_mode) == text


@pytest.mark.parametrize("args, msg", [
    ({"dockerfile": "../Dockerfile"}, "image img:1: dockerfile '../Dockerfile' has an empty, '.' or '..' segment"),
    ({"log_dir": "/var/log"}, "image img:1: log_dir '/var/log' is absolute"),
    ({"context": "relative/ctx"}, "image img:1: build context relative/ctx is not a directory"),
    ({"dockerfile": "Missing.Dockerfile"}, "image img:1: Dockerfile {ctx}/Missing.Dockerfile is missing"),
    ({"log_dir": "telemetry/out/logs"}, "image img:1: log_dir: {root}/telemetry/out is a symlink to /var/tmp, outside the host tree root {root}"),
])
def test_the_module_refuses_bad_options_with_one_line(run_module, context, tmp_path, args, msg):
    root = tmp_path / "tree"
    (root / "telemetry").mkdir(parents=True)
    (root / "telemetry" / "out").symlink_to("/var/tmp")
    full = dict({"name": "img:1", "context": str(context), "root": str(root)}, **args)
    code, result = run_module(image_build.main, full)
    assert code == 1 and result["msg"].startswith(msg.format(ctx=context, root=root)), result["msg"]
    assert "\n" not in result["msg"] and not (root / "telemetry" / "logs").exists()
