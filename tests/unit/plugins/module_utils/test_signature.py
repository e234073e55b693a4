"""Signatures: one canonical JSON for the same inputs however they are ordered, and a mismatch that
names the inputs that changed."""
import hashlib

import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _signature

INPUTS = {
    "stage": "inductor",
    "argv": ["python3", "-m", "sglang.launch_server", "--model-path", "/models/org/m"],
    "model_config": "sha256:aa",
    "versions": {"sglang": "0.5.5", "torch": "2.9.0", "triton": "3.5.0"},
    "image_id": "sha256:11",
}


def test_the_canonical_form_ignores_key_order_and_keeps_unicode():
    reordered = dict(reversed(list(INPUTS.items())))
    assert _signature.canonical(reordered) == _signature.canonical(INPUTS)
    assert _signature.canonical({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode("utf-8")


def test_the_signature_is_the_sha256_of_the_canonical_form():
    assert _signature.signature(INPUTS) == "sha256:" + hashlib.sha256(_signature.canonical(INPUTS)).hexdigest()


def test_argv_order_is_part_of_the_signature():
    swapped = dict(INPUTS, argv=list(reversed(INPUTS["argv"])))
    assert _signature.signature(swapped) != _signature.signature(INPUTS)


def test_a_value_that_is_not_json_is_refused():
    with pytest.raises(ValueError):
        _signature.signature({"x": float("nan")})


@pytest.mark.parametrize("change, names", [
    ({}, []),
    ({"image_id": "sha256:22"}, ["image_id"]),
    ({"versions": {"sglang": "0.5.5", "torch": "2.9.1", "triton": "3.5.0"}}, ["versions.torch"]),
    ({"versions": {"sglang": "0.5.5", "torch": "2.9.0"}}, ["versions.triton"]),
    ({"argv": ["python3"], "model_config": "sha256:bb"}, ["argv", "model_config"]),
])
def test_changed_inputs_names_what_differs(change, names):
    assert _signature.changed_inputs(INPUTS, dict(INPUTS, **change)) == names


def test_verdicts():
    stored = _signature.record(INPUTS)
    assert _signature.verdict(stored, dict(INPUTS)) == ("match", [])
    assert _signature.verdict(stored, dict(INPUTS, image_id="sha256:22")) == ("mismatch", ["image_id"])
    assert _signature.verdict(None, INPUTS) == ("missing", [])
    tampered = dict(stored, inputs=dict(INPUTS, image_id="sha256:22"))
    assert _signature.verdict(tampered, INPUTS) == ("missing", [])


def test_the_seal_covers_the_artifacts_and_their_sizes():
    stored = _signature.record(INPUTS, ["a.so", "k/b.cubin"], {"a.so": 10, "k/b.cubin": 20})
    assert _signature.intact(stored) and _signature.verdict(stored, INPUTS) == ("match", [])
    for edit in ({"artifacts": ["a.so", "k/b.cubin", "planted.so"]}, {"sizes": {"a.so": 10, "k/b.cubin": 21}},
                 {"seal": None}, {"artifacts": "a.so"}, {"sizes": [1]}):
        assert _signature.verdict(dict(stored, **edit), INPUTS) == ("missing", []), edit
    legacy = dict(_signature.record(INPUTS, ["a.so"], {"a.so": 1}))
    del legacy["seal"]  # written before the seal existed: rebuilt once, never trusted
    assert _signature.verdict(legacy, INPUTS) == ("missing", [])
    assert _signature.changed_inputs(None, {"a": 1, "b": {"c": 2}}) == ["a", "b.c"]
