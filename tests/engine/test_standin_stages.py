"""The four stages with real compilers (the stand-in image's STAND-IN commands on the CPU): each fills its
cache folder with real artifacts owned by devuser, leaves no lock, records `ok`, and a second ensure is
free. The collection's defaults stay SGLang's own commands; the dry-run inventory selects these."""
import json
import os

import pytest

from conftest import MODEL, bed_ids
from test_cache_stage import host_user, locks, prep

COMMAND = ["standin-stage", "{stage}", "--model-path", "{model_path}", "--tp-size", "{tp_size}", "--dtype", "{dtype}"]

# Stage: (its folder, a predicate on the relative artifact paths that only real compiler output meets).
EXPECTED = {
    "inductor": ("inductor", lambda files: any(f.endswith(".so") for f in files) and any(f.endswith(".py") for f in files)),
    "flashinfer": ("flashinfer", lambda files: any(f.startswith(".cache/flashinfer/") and f.endswith("standin_rmsnorm.so")
                                                   for f in files)),
    "deep_gemm": ("deep_gemm", lambda files: any(f.startswith("cache/kernel.standin_gemm.") and f.endswith("/kernel.so")
                                                 for f in files)),
    # Filed where SGLang reads it: configs/triton_<the image's Triton, 3.6.0>/<get_config_file_name(...)>.
    "moe": ("moe_configs", lambda files: files == ["configs/triton_3_6_0/E=8,N=32,device_name=NVIDIA_GH200_480GB.json"]),
}


def elf(path):
    with open(path, "rb") as handle:
        return handle.read(4) == b"\x7fELF"


@pytest.mark.parametrize("stage", sorted(EXPECTED))
def test_a_stage_compiles_real_artifacts_and_a_second_ensure_is_free(module, container, tree, stage):
    uid, gid = bed_ids()
    folder, real = EXPECTED[stage]
    args = dict(stage=stage, model=MODEL, name=container.name, root=str(tree), host_user=host_user(), command=COMMAND,
                stage_args={"stage": stage, "tp_size": 1, "dtype": "auto"}, timeout=900)
    rc, built = module("cache_stage", args)
    assert rc == 0 and built["status"] == "ok", built.get("msg") or built
    stage_dir = tree / "profiles" / folder
    record = json.loads((stage_dir / "signature.json").read_text())
    files = record["artifacts"]
    assert real(files), files
    for rel in files:
        st = os.lstat(str(stage_dir / rel))
        assert (st.st_uid, st.st_gid) == (uid, gid), rel
        if rel.endswith(".so"):
            assert elf(str(stage_dir / rel)), rel
    assert "STAND-IN %s stage" % stage in (stage_dir / "compile.log").read_text()
    assert prep(tree)[stage]["status"] == "ok" and prep(tree)[stage]["artifacts"] == len(files) and locks(tree) == []
    rc, again = module("cache_stage", args)
    assert rc == 0 and not again["changed"] and again["decision"] == "kept"
