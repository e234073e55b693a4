"""The race harness's moving parts, shared by the unit suite (module_utils and modules in-process) and the engine
suite (modules as Ansible runs them, against a real container): a canary folder outside the tree, its state, and a
loop that swaps a folder of the tree for a symlink to the canary and back, each an atomic exchange."""
import ctypes
import hashlib
import os
import time


def canary_state(folder):
    """(path, mode, uid, gid, content digest) of everything under the canary."""
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in sorted(dirnames + filenames):
            path = os.path.join(dirpath, name)
            info = os.lstat(path)
            digest = None
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
            out.append((os.path.relpath(path, folder), info.st_mode, info.st_uid, info.st_gid, digest))
    return sorted(out)


def plant_canary(folder):
    """Files named as the tree's own (a lock, a signature, a log, a record, a build folder), root's, 0600."""
    os.makedirs(os.path.join(folder, "build", "deep"))
    for rel in (".lock", "signature.json", "compile.log", "prep_result.json", "prep_result.json.lock", "pointer.env",
                "x.lock", "build/deep/kernel.so", "build/deep/lock"):
        with open(os.path.join(folder, rel), "w") as handle:
            handle.write("canary %s\n" % rel)
        os.chmod(os.path.join(folder, rel), 0o600)
    os.chmod(folder, 0o700)


_LIBC = ctypes.CDLL(None, use_errno=True)
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def exchange(a, b):
    """Swap the entries ``a`` and ``b`` in one step (renameat2 RENAME_EXCHANGE), as an attacker racing a path does:
    no moment when neither is there, so code that found a real folder by path meets the link when it uses the path."""
    if _LIBC.renameat2(_AT_FDCWD, a.encode(), _AT_FDCWD, b.encode(), _RENAME_EXCHANGE) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), a)


def swap_loop(folder, canary, stop, swaps, link_time=0.0005, real_time=0.001):
    """Swap ``folder`` for a symlink to ``canary`` and back, each an atomic exchange, until ``stop`` is set; the
    link stays ``link_time`` seconds, the real folder ``real_time``; ``swaps`` counts the times the link was put."""
    link = folder + ".link"
    os.symlink(canary, link)
    try:
        while not stop.is_set():
            try:
                exchange(folder, link)
            except OSError:
                continue
            swaps.value += 1
            time.sleep(link_time)  # the link stays a moment, so a path found real is met as a link when used
            exchange(folder, link)
            time.sleep(real_time)  # the real folder stays a moment, so an operation also meets it whole
    finally:
        if os.path.islink(folder):
            exchange(folder, link)
        os.unlink(link)
