#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: soak
short_description: Send a bounded number of chat requests to an inference server on loopback, some at once
version_added: 0.1.0
description:
  - Sends O(requests) requests to an OpenAI-style C(/v1/chat/completions) endpoint, O(concurrency) at a time, and
    stops by itself once they are answered or timed out. Returns how many succeeded, the latency quantiles, the
    throughput and the token counts the server reported.
  - The endpoint must be on loopback (C(127.0.0.0/8), C(::1) or C(localhost)); any other address is refused before
    anything is sent.
  - It changes nothing on the host (C(changed) is always false). Check mode sends nothing.
author:
  - gh200.sglang maintainers (@gh200-sglang)
options:
  url:
    description: The chat completions endpoint, for example V(http://127.0.0.1:30000/v1/chat/completions).
    type: str
    required: true
  model:
    description: The model name the requests carry (the server's served model name).
    type: str
    required: true
  prompt:
    description: The prompt of every request.
    type: str
    default: Say hello to the GH200 in one short sentence.
  max_tokens:
    description: Each request's token limit.
    type: int
    default: 16
  requests:
    description: How many requests to send in all.
    type: int
    default: 20
  concurrency:
    description: How many requests are in flight at once.
    type: int
    default: 4
  timeout:
    description: Seconds each request may take.
    type: int
    default: 120
  api_key:
    description: The server's API key, sent as a bearer token.
    type: str
attributes:
  check_mode:
    support: full
    description: Sends nothing and returns no figures.
  diff_mode:
    support: none
    description: Nothing is written.
"""

EXAMPLES = r"""
- name: Soak the server with 50 requests, 8 at a time.
  gh200.sglang.soak:
    url: http://127.0.0.1:30000/v1/chat/completions
    model: Qwen/Qwen3-Next-80B-A3B-Thinking-FP8
    requests: 50
    concurrency: 8
  register: soak
"""

RETURN = r"""
sent:
  description: Requests sent.
  returned: success
  type: int
ok:
  description: Requests answered with HTTP 200 and a completion.
  returned: success
  type: int
failed_requests:
  description: Requests that failed (the task itself fails only when none was answered).
  returned: success
  type: int
errors:
  description: Up to five distinct error lines.
  returned: success
  type: list
  elements: str
wall_s:
  description: Seconds from the first request to the last answer.
  returned: success
  type: float
requests_per_s:
  description: Answered requests per second of wall time.
  returned: success
  type: float
latency_s:
  description: Latency of the answered requests, in seconds (mean, p50, p90, p99, max).
  returned: success
  type: dict
prompt_tokens:
  description: Prompt tokens the server reported, in all.
  returned: success
  type: int
completion_tokens:
  description: Completion tokens the server reported, in all.
  returned: success
  type: int
"""

import json
import threading
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.urls import open_url

from ansible_collections.gh200.sglang.plugins.module_utils import _soak


def one(p, body, headers):
    """(ok, seconds, prompt tokens, completion tokens, error) of one request."""
    started = time.time()
    try:
        answer = open_url(p["url"], data=body, headers=headers, method="POST", timeout=p["timeout"], use_proxy=False)
        reply = json.loads(answer.read().decode("utf-8"))
        usage = reply.get("usage") or {}
        if not reply["choices"][0]["message"]["content"]:
            return False, time.time() - started, 0, 0, "an empty completion"
        return True, time.time() - started, usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0), None
    except HTTPError as exc:
        return False, time.time() - started, 0, 0, "HTTP %s" % exc.code
    except (URLError, OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        return False, time.time() - started, 0, 0, "%s: %s" % (type(exc).__name__, exc)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            model=dict(type="str", required=True),
            prompt=dict(type="str", default="Say hello to the GH200 in one short sentence."),
            max_tokens=dict(type="int", default=16, no_log=False),
            requests=dict(type="int", default=20),
            concurrency=dict(type="int", default=4),
            timeout=dict(type="int", default=120),
            api_key=dict(type="str", no_log=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    problem = _soak.loopback_problem(p["url"])
    if problem:
        module.fail_json(msg=problem)
    if p["requests"] < 1 or p["concurrency"] < 1:
        module.fail_json(msg="requests (%d) and concurrency (%d) must be at least 1" % (p["requests"], p["concurrency"]))
    if module.check_mode:
        module.exit_json(changed=False, msg="check mode: no request sent")
    body = json.dumps({"model": p["model"], "messages": [{"role": "user", "content": p["prompt"]}],
                       "max_tokens": p["max_tokens"]}).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if p["api_key"]:
        headers["Authorization"] = "Bearer " + p["api_key"]
    outcomes, lock, queue = [], threading.Lock(), list(range(p["requests"]))

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                queue.pop()
            outcome = one(p, body, headers)
            with lock:
                outcomes.append(outcome)

    started = time.time()
    threads = [threading.Thread(target=worker) for dummy in range(min(p["concurrency"], p["requests"]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = _soak.summary(outcomes, time.time() - started)
    if not result["ok"]:
        module.fail_json(msg="soak of %s: none of %d requests was answered: %s" % (p["url"], result["sent"], (result["errors"] or ["?"])[0]),
                         **result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
