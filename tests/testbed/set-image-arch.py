# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rewrite the architecture of a `docker save` archive (stdin) and write the archive to stdout.

`docker import --platform` is ignored by an engine that is not multi-platform capable, so an image imported
from an arm64 tree says amd64. build-image.sh pipes `docker save` through this into `docker load`: the image's
config gets the right architecture (and a new id), its tags are kept.

    python3 set-image-arch.py arm64 < saved.tar > fixed.tar
"""
import hashlib
import io
import json
import sys
import tarfile


def main(arch):
    source = tarfile.open(fileobj=sys.stdin.buffer, mode="r|")
    members = []
    for member in source:
        data = source.extractfile(member).read() if member.isfile() else None
        members.append((member, data))
    files = dict((m.name, d) for m, d in members if d is not None)
    manifest = json.loads(files["manifest.json"])
    renamed = {}
    for entry in manifest:
        config = json.loads(files[entry["Config"]])
        config["architecture"] = arch
        body = json.dumps(config, separators=(",", ":")).encode()
        name = hashlib.sha256(body).hexdigest() + ".json"
        renamed[entry["Config"]] = (name, body)
        entry["Config"] = name
    out = tarfile.open(fileobj=sys.stdout.buffer, mode="w|")
    for member, data in members:
        if member.name in renamed:
            member.name, data = renamed[member.name]
        elif member.name == "manifest.json":
            data = json.dumps(manifest).encode()
        if data is not None:
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
        else:
            out.addfile(member)
    out.close()


if __name__ == "__main__":
    main(sys.argv[1])
