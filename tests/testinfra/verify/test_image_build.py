"""The dev image, rebuilt when its Dockerfile changes: built once, a second run does nothing, check mode
predicts a rebuild without doing it, a changed Dockerfile rebuilds and the container phase recreates the
container on the new image, and a Dockerfile that fails ends phase 0 naming its step."""
import json
import os
import re

import docker
import pytest

from conftest import FLEET_ROOT, container_name

HOST = "gh200-va"
TAG = "gh200-devimage-test:a"
CHECK = "dev image current with its Dockerfile"


def workspace_of(host):
    return "%s/%s/sglang" % (FLEET_ROOT, host)


def remove(engine, host):
    """Remove the host's dev container and the test's image, so no other test starts from them."""
    for action in (lambda: engine.containers.get(container_name(host)).remove(force=True),
                   lambda: engine.images.remove(TAG, force=True)):
        try:
            action()
        except docker.errors.NotFound:
            pass


def container_image(engine, host):
    """(id, image id) of the host's dev container (phase 1 ends with it stopped)."""
    c = engine.containers.get(container_name(host))
    return c.id, c.attrs["Image"]


@pytest.fixture
def dockerfile(engine, verify):
    """The host's Dockerfile to rewrite; afterwards the Dockerfile is restored, the test's container and
    image removed, and the host's container made again on the default image as the fleet run left it (phases 0 and
    1: no run of this test rebuilt a cache, and the caches are signed for the default image)."""
    path = os.path.join(workspace_of(HOST), ".devcontainer", "Dockerfile")
    original = open(path).read()
    st = os.stat(path)
    remove(engine, HOST)

    def write(text):
        with open(path, "w") as handle:
            handle.write(text)
        os.chown(path, st.st_uid, st.st_gid)

    yield original, write
    write(original)
    remove(engine, HOST)
    restored = verify("--limit", HOST, "--tags", "phase0,phase1")
    assert restored.rc == 0 and restored.containers[HOST] == "exited", restored.output[-3000:]


def test_the_image_follows_its_dockerfile_and_the_container_follows_the_image(verify, engine, dockerfile):
    original, write = dockerfile
    settings = {"gh200_image": TAG, "host_prep_image_build": {"context": workspace_of(HOST) + "/.devcontainer", "network_mode": "none"}}
    args = ("--limit", HOST, "--tags", "phase0,phase1", "-e", json.dumps(settings))

    first = verify(*args)
    assert first.rc == 0, first.output[-3000:]
    assert "built by this run (the image was missing)" in first.checks(HOST)[CHECK]["detail"]
    image = engine.images.get(TAG)
    assert image.labels["org.gh200.sglang.build-hash"].startswith("sha256:")
    container = container_image(engine, HOST)
    assert container[1] == image.id

    # A second run builds nothing: phase 0 alone judges the image (the container is left as the first run made it).
    second = verify("--limit", HOST, "--tags", "phase0", "-e", json.dumps(settings))
    assert second.rc == 0, second.output[-3000:]
    assert " current, sha256:" in second.checks(HOST)[CHECK]["detail"]
    assert engine.images.get(TAG).id == image.id and container_image(engine, HOST)[1] == image.id

    # The container runs on this image when its Dockerfile changes (start.yml without its cache stages: the caches
    # are signed for the fleet's image, and rebuilding them here would prove nothing more).
    started = verify("--limit", HOST, "-e", json.dumps(dict(settings, caches_stages={})), playbook="playbooks/start.yml")
    assert started.rc == 0, started.output[-3000:]
    running = container_image(engine, HOST)
    assert running[1] == image.id and engine.containers.get(running[0]).status == "running"

    write(original + 'RUN echo changed >> /etc/gh200-devimage\n')
    predicted = verify("--check", *args)
    status = predicted.checks(HOST)[CHECK]["status"]
    assert status.startswith("skipped: check mode: %s (%s) would be built (the Dockerfile or its context changed), sha256:"
                             % (TAG, image.id[7:19])), status
    assert engine.images.get(TAG).id == image.id and container_image(engine, HOST) == running

    rebuilt = verify(*args)
    assert rebuilt.rc == 0, rebuilt.output[-3000:]
    assert "built by this run (the Dockerfile or its context changed)" in rebuilt.checks(HOST)[CHECK]["detail"]
    new_image = engine.images.get(TAG)
    assert new_image.id != image.id
    recreated = container_image(engine, HOST)
    assert recreated[0] != running[0] and recreated[1] == new_image.id
    runs = rebuilt.checks(HOST, "phase1")["container runs"]["detail"]
    # What the start found (the old run's container, running) and what it did about it.
    assert "(found running, run " in runs and ": stop, remove, create, write_manifest; drifted: image_id)" in runs, runs

    write(original + "RUN echo about to fail && exit 7\n")
    failed = verify(*args)
    assert failed.rc != 0
    phase0 = failed.checks(HOST, "phase0")
    assert phase0["host prep completed"]["status"] == "failed"
    detail = phase0["host prep completed"]["detail"]
    assert re.search(r"image %s: build failed at Step 5/6 : RUN echo about to fail && exit 7: " % re.escape(TAG), detail), detail
    assert "returned a non-zero code: 7" in detail and "about to fail" in detail
    assert engine.images.get(TAG).id == new_image.id
    assert failed.host(HOST)["phases"]["phase1"]["verdict"] == "skipped"

    # A build input that changes between two reads (a time in build_args) never gives a current image: the image
    # is built, and the label read back from the engine does not match the hash taken again.
    write(original)
    stamped = dict(settings["host_prep_image_build"], build_args={"STAMP": "{{ now(utc=true).isoformat() }}"})
    drifting = verify("--limit", HOST, "--tags", "phase0", "-e", json.dumps(dict(settings, host_prep_image_build=stamped)))
    assert drifting.rc != 0, drifting.output[-3000:]
    check = drifting.checks(HOST, "phase0")[CHECK]
    assert check["status"] == "failed" and check["detail"].startswith("read back from the engine: %s records sha256:" % TAG), check
