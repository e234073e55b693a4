# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""STAND-IN Hugging Face Hub on loopback, for tests only: serves the model repos under a folder
(<repos>/<org>/<name>/, one commit each) the way the hub's HTTP API answers huggingface_hub's client
(2.x): the revision's commit, the recursive tree listing (paginated with a Link header), and each file
at /<repo>/resolve/<commit>/<path> with HEAD and ranged GET (a resumed download). *.safetensors files
are served as LFS files (sha256 ETag, lfs entry in the listing), the rest as git blobs.

Faults, per repo, from <repos>/<org>/<name>/.standin.json, read at each request (tests write it):
  {"gated": true}                  401 with X-Error-Code: GatedRepo unless a bearer token is sent
  {"token": "..."}                 the token a gated repo accepts (default: any)
  {"cut": {"<path>": N}}           the next GET of <path> sends N bytes, then drops the connection (once)
  {"corrupt": ["<path>"]}          <path> is served with its last byte flipped (same size, wrong hash)
  {"stall": {"<path>": S}}         a GET of <path> waits S seconds before its first byte
GET /api/standin answers {"repos": <the folder served>}.
Every request is appended to <repos>/.requests.log as "<METHOD> <path>[ <Range>]" (the tests count what was fetched).

  python3 hub_standin.py --repos DIR --port N [--pidfile F]      serve until killed
"""
import argparse
import hashlib
import http.server
import json
import os
import threading
import time
import urllib.parse

LFS_SUFFIXES = (".safetensors", ".bin", ".model")
PAGE = 3  # entries per page of the tree listing: the tiny model spans pages, as a real one does


def git_blob_sha1(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(sha256, size):
    return ("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n" % (sha256, size)).encode()


class Repo(object):
    """One repo folder: its files (never dotfiles), its commit and its listing."""

    def __init__(self, folder):
        self.folder = folder
        self.files = {}
        for top, dirs, names in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                if name.startswith("."):
                    continue
                full = os.path.join(top, name)
                with open(full, "rb") as f:
                    self.files[os.path.relpath(full, folder)] = f.read()
        digest = hashlib.sha1()
        for path in sorted(self.files):
            digest.update(path.encode() + b"\0" + git_blob_sha1(self.files[path]).encode())
        self.commit = digest.hexdigest()
        try:
            with open(os.path.join(folder, ".standin.json")) as f:
                self.faults = json.load(f)
        except (OSError, ValueError):
            self.faults = {}

    def entry(self, path):
        data = self.files[path]
        if path.endswith(LFS_SUFFIXES):
            sha256 = hashlib.sha256(data).hexdigest()
            pointer = lfs_pointer(sha256, len(data))
            return {"type": "file", "path": path, "size": len(data), "oid": git_blob_sha1(pointer),
                    "lfs": {"oid": sha256, "size": len(data), "pointerSize": len(pointer)}}
        return {"type": "file", "path": path, "size": len(data), "oid": git_blob_sha1(data)}

    def listing(self):
        folders = sorted({os.path.dirname(p) for p in self.files if os.path.dirname(p)})
        return [{"type": "directory", "path": d, "size": 0, "oid": hashlib.sha1(d.encode()).hexdigest()} for d in folders] \
            + [self.entry(p) for p in sorted(self.files)]

    def save_faults(self):
        with open(os.path.join(self.folder, ".standin.json"), "w") as f:
            json.dump(self.faults, f)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hub-standin/1"

    def log_message(self, *args):
        pass

    def _log(self):
        with self.server.log_lock, open(os.path.join(self.server.repos, ".requests.log"), "a") as f:
            rng = self.headers.get("Range")
            f.write("%s %s%s\n" % (self.command, urllib.parse.urlsplit(self.path).path, " " + rng if rng else ""))

    def _send(self, status, body=b"", headers=None, content_type="application/json"):
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, data, headers=None):
        self._send(200, json.dumps(data).encode(), headers)

    def _error(self, status, message, code=None):
        headers = {"X-Error-Message": message}
        if code:
            headers["X-Error-Code"] = code
        self._send(status, json.dumps({"error": message}).encode(), headers)

    def _repo(self, org, name):
        folder = os.path.join(self.server.repos, org, name)
        if not (org and name and os.path.isdir(folder)) or org.startswith(".") or name.startswith("."):
            self._error(401, "Repository not found", "RepoNotFound")
            return None
        repo = Repo(folder)
        if repo.faults.get("gated"):
            auth = self.headers.get("Authorization", "")
            want = repo.faults.get("token")
            if not auth.startswith("Bearer ") or (want and auth != "Bearer " + want):
                self._error(401, "Access to model %s/%s is restricted. You must have access to it and be authenticated to access it."
                            % (org, name), "GatedRepo")
                return None
        return repo

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        self._log()
        url = urllib.parse.urlsplit(self.path)
        parts = [urllib.parse.unquote(p) for p in url.path.split("/")[1:]]
        query = urllib.parse.parse_qs(url.query)
        if parts == ["api", "standin"]:  # which folder this stand-in serves (scripts/setup.sh asks)
            return self._json({"repos": self.server.repos})
        if parts[:2] == ["api", "models"] and len(parts) >= 5 and parts[4] == "revision":
            repo = self._repo(parts[2], parts[3])
            if repo:
                if "/".join(parts[5:]) not in ("main", repo.commit):
                    return self._error(404, "Invalid rev id: %s" % "/".join(parts[5:]), "RevisionNotFound")
                self._json({"id": "%s/%s" % (parts[2], parts[3]), "modelId": "%s/%s" % (parts[2], parts[3]),
                            "sha": repo.commit, "private": False, "gated": bool(repo.faults.get("gated")),
                            "siblings": [{"rfilename": p} for p in sorted(repo.files)]})
            return None
        if parts[:2] == ["api", "models"] and len(parts) >= 6 and parts[4] == "tree":
            repo = self._repo(parts[2], parts[3])
            if repo:
                if parts[5] not in ("main", repo.commit):
                    return self._error(404, "Invalid rev id: %s" % parts[5], "RevisionNotFound")
                entries = repo.listing()
                start = int(query.get("cursor", ["0"])[0])
                headers = {}
                if start + PAGE < len(entries):
                    nxt = dict((k, v[0]) for k, v in query.items())
                    nxt["cursor"] = str(start + PAGE)
                    headers["Link"] = '<http://%s%s?%s>; rel="next"' % (self.headers["Host"], url.path, urllib.parse.urlencode(nxt))
                self._json(entries[start:start + PAGE], headers)
            return None
        if len(parts) >= 5 and parts[2] == "resolve":
            repo = self._repo(parts[0], parts[1])
            if repo:
                self._file(repo, parts[3], "/".join(parts[4:]))
            return None
        return self._error(404, "no such endpoint: %s" % url.path)

    def _file(self, repo, revision, path):
        if revision not in ("main", repo.commit):
            return self._error(404, "Invalid rev id: %s" % revision, "RevisionNotFound")
        if path not in repo.files:
            return self._error(404, "Entry not found", "EntryNotFound")
        data = repo.files[path]
        entry = repo.entry(path)
        etag = entry["lfs"]["oid"] if "lfs" in entry else entry["oid"]
        if path in repo.faults.get("corrupt", []):
            data = data[:-1] + bytes([data[-1] ^ 0xFF])
        headers = {"X-Repo-Commit": repo.commit, "ETag": '"%s"' % etag, "Accept-Ranges": "bytes"}
        if "lfs" in entry:
            headers["X-Linked-Etag"] = '"%s"' % etag
            headers["X-Linked-Size"] = str(len(data))
        start = 0
        rng = self.headers.get("Range", "")
        if rng.startswith("bytes=") and rng[6:].endswith("-"):
            start = int(rng[6:-1])
        cut = repo.faults.get("cut", {}).get(path) if self.command == "GET" else None
        if cut is not None:
            del repo.faults["cut"][path]
            repo.save_faults()
        status = 206 if start else 200
        if start:
            headers["Content-Range"] = "bytes %d-%d/%d" % (start, len(data) - 1, len(data))
        body = data[start:]
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "HEAD":
            return None
        time.sleep(float(repo.faults.get("stall", {}).get(path, 0)))
        if cut is not None:
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return None
        self.wfile.write(body)
        return None


class Hub(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, repos, port=0):
        http.server.ThreadingHTTPServer.__init__(self, ("127.0.0.1", port), Handler)
        self.repos = repos
        self.log_lock = threading.Lock()

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.server_address[1]

    def requests(self):
        try:
            with open(os.path.join(self.repos, ".requests.log")) as f:
                return f.read().splitlines()
        except OSError:
            return []


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pidfile")
    args = parser.parse_args()
    hub = Hub(os.path.abspath(args.repos), args.port)
    if args.pidfile:
        with open(args.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    hub.serve_forever()


if __name__ == "__main__":
    main()
