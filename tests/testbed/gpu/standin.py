"""STAND-IN nvidia-smi, dcgmi and journalctl for hosts without a GPU: `python3 standin.py <tool> <args>`,
through a wrapper named like the tool on the PATH (see the gpuhealth scenario's converge).

It prints the recorded outputs of samples/ with the fault named by $GH200_GPU_STANDIN_STATE or, failing that,
by the file STATE beside it (faults.py lists the states). `nvidia-smi -pm 1` turns persistence on by leaving
a marker in $GH200_GPU_STANDIN_VAR (default: beside this file), as root only ($GH200_GPU_STANDIN_ROOT_UID, default 0):
anyone else gets the driver's "Insufficient Permissions" (exit 4). Test bed only: never on a real host.
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, HERE)

import faults  # noqa: E402  pylint: disable=wrong-import-position


def state_name():
    name = os.environ.get("GH200_GPU_STANDIN_STATE")
    if not name:
        with open(os.path.join(HERE, "STATE")) as handle:
            name = handle.read().strip()
    return name


def main(argv):
    tool = argv[1] if len(argv) > 1 else ""
    state = faults.STATES[state_name()]()
    marker = os.path.join(os.environ.get("GH200_GPU_STANDIN_VAR", HERE), "persistence-on")
    if os.path.exists(marker):
        state["q"] = state["q"].replace("Persistence Mode                      : Disabled",
                                        "Persistence Mode                      : Enabled")
    args = argv[2:]
    if tool in state.get("hang", ()):
        while True:  # a GPU stuck in the driver: the caller's time limit must end this
            time.sleep(3600)
    if tool == "nvidia-smi":
        if args == ["-q"]:
            sys.stdout.write(state["q"])
        elif args == ["c2c", "-s"]:
            sys.stdout.write(state["c2c"])
        elif args and args[0].startswith("--query-gpu="):
            sys.stdout.write(faults.QUERY_GPU)
        elif args == ["-pm", "1"] and os.geteuid() != int(os.environ.get("GH200_GPU_STANDIN_ROOT_UID", "0")):  # as the driver
            # (the unit tests name their own uid as root's)
            sys.stderr.write("Unable to set persistence mode for GPU 00000000:DD:00.0: Insufficient Permissions\n"
                             "Terminating early due to previous errors.\n")
            return 4
        elif args == ["-pm", "1"]:
            with open(marker, "w") as handle:
                handle.write("1\n")
            sys.stdout.write("Enabled persistence mode for GPU 00000000:DD:00.0.\nAll done.\n")
        elif not args:
            sys.stdout.write(faults.BANNER)
        else:
            sys.stderr.write("stand-in nvidia-smi: no recording for %s\n" % " ".join(args))
            return 2
    elif tool == "dcgmi" and args[:1] == ["diag"] and "-j" in args:
        sys.stdout.write(state["dcgm"])
    elif tool == "journalctl" and "-k" in args:
        sys.stdout.write(faults.kernel_log(state["kernel"]))
    else:
        sys.stderr.write("stand-in %s: no recording for %s\n" % (tool, " ".join(args)))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
