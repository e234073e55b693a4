#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: prometheus_scrape
short_description: Scrape a Prometheus endpoint, keep the raw text as a snapshot and summarise the serving figures
version_added: 0.1.0
description:
  - Reads a Prometheus text endpoint once, such as SGLang's or vLLM's C(/metrics), TensorRT-LLM's
    C(trtllm-serve) C(/prometheus/metrics) (its C(/metrics) is JSON iteration stats, not Prometheus text),
    the node exporter or the DCGM exporter.
  - Parses the text with C(prometheus_client)'s own parser and detects the framework from the metric
    prefixes (C(sglang:), C(vllm:), C(trtllm_), C(DCGM_FI_), C(node_)). For an inference server it returns
    the key serving figures under common names - running and queued requests, requests, prompt and
    generation tokens, time to first token, inter-token latency and end-to-end latency - with each
    histogram's sum, count, mean and the quantiles estimated from its buckets. vLLM's older
    C(time_per_output_token) name and its newer C(inter_token_latency) are both read.
  - Saves the raw text under O(snapshot_dir) in the host tree, as C(<name>-<UTC time>.prom), written
    atomically with its final owner (O(host_user)) and mode 0644, never through a symlink. The snapshot is
    written only after the text parsed, so an unreachable endpoint, an answer other than HTTP 200 or
    malformed text gives one error and writes nothing.
  - Check mode scrapes (a read) and parses, and reports the snapshot it would write.
author:
  - gh200.sglang maintainers (@gh200-sglang)
extends_documentation_fragment:
  - gh200.sglang.docker.host_tree
options:
  url:
    description: The endpoint, for example V(http://127.0.0.1:30000/metrics).
    type: str
    required: true
  name:
    description:
      - The snapshot's name before its time stamp; letters, digits, C(.), C(_) and C(-).
      - Defaults to the endpoint's port, for example C(port-30000).
    type: str
  snapshot_dir:
    description: Where snapshots go, relative to O(root). Created (owned by O(host_user)) when missing.
    type: str
    default: telemetry/prometheus/snapshots
  save:
    description: Whether to save the snapshot; V(false) only scrapes and summarises.
    type: bool
    default: true
  expect_framework:
    description: Fail unless the detected framework is this one.
    type: str
    choices: [sglang, vllm, tensorrt-llm, dcgm, node, prometheus, unknown]
  timeout:
    description: Seconds to wait for the endpoint.
    type: int
    default: 10
requirements:
  - prometheus_client (on the host)
attributes:
  check_mode:
    support: full
    description: Scrapes and parses (a read) and reports the snapshot it would write; writes nothing.
  diff_mode:
    support: none
    description: The snapshot is new each time; there is nothing to compare.
"""

EXAMPLES = r"""
- name: Scrape the SGLang server and keep the snapshot under telemetry.
  gh200.sglang.prometheus_scrape:
    url: http://127.0.0.1:30000/metrics
    name: sglang-before
    host_user: ubuntu
    expect_framework: sglang
  register: before

- name: Show the requests the server has finished.
  ansible.builtin.debug:
    msg: "{{ before.key.requests }} requests, p99 e2e {{ before.key.e2e_latency.p99 }} s"

- name: Scrape TensorRT-LLM's Prometheus endpoint (its /metrics is JSON).
  gh200.sglang.prometheus_scrape:
    url: http://127.0.0.1:8000/prometheus/metrics
    host_user: ubuntu
"""

RETURN = r"""
url:
  description: The endpoint scraped.
  returned: always
  type: str
framework:
  description: The framework detected from the metric prefixes, or C(unknown).
  returned: success
  type: str
  sample: sglang
families:
  description: Every metric family with its type.
  returned: success
  type: dict
  sample: {"sglang:num_running_reqs": "gauge", "sglang:e2e_request_latency_seconds": "histogram"}
family_count:
  description: How many metric families the text has.
  returned: success
  type: int
key:
  description:
    - The serving figures under common names (empty for an exporter). Counters and gauges are summed over
      their label sets; histograms give C(sum), C(count), C(mean), C(p50), C(p90) and C(p99). A figure the
      server does not export is null.
  returned: success
  type: dict
  sample: {"requests": 3.0, "prompt_tokens": 59.0, "running_requests": 0.0,
           "e2e_latency": {"sum": 2.86, "count": 3.0, "mean": 0.95, "p50": 0.8, "p90": 1.9, "p99": 1.99}}
names:
  description: The metric each figure of RV(key) was read from (null when none).
  returned: success
  type: dict
  sample: {"inter_token_latency": "vllm:time_per_output_token_seconds"}
snapshot:
  description: The snapshot written (or, in check mode, that would be written); null when O(save=false).
  returned: success
  type: str
  sample: /home/ubuntu/sglang-observability/telemetry/prometheus/snapshots/sglang-before-20261123T031500.123Z.prom
bytes:
  description: Size of the exposition text.
  returned: success
  type: int
scraped_at:
  description: When the text was read, in seconds since the epoch.
  returned: success
  type: float
"""

import re
import time
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.gh200.sglang.plugins.module_utils import _evidence, _files, _metrics, _tree

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    PARSER_ERROR = traceback.format_exc()
    text_string_to_metric_families = None
else:
    PARSER_ERROR = None

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
MAX_BYTES = 64 * 1024 * 1024


def snapshot_name(name, url):
    """The snapshot's name (checked), or the endpoint's port; OptionProblem for a URL that is not http(s)."""
    parsed, port, problem = _evidence.http_url(url)
    if problem:
        raise _tree.OptionProblem(problem)
    if name is None:
        name = "port-%s" % (port or (443 if parsed.scheme == "https" else 80))
    if not NAME.match(name):
        raise _tree.OptionProblem("name %r may hold only letters, digits, '.', '_' and '-'" % name)
    return name


def main():
    argument_spec = dict(
        url=dict(type="str", required=True),
        name=dict(type="str"),
        snapshot_dir=dict(type="str", default="telemetry/prometheus/snapshots"),
        save=dict(type="bool", default=True),
        expect_framework=dict(type="str", choices=["sglang", "vllm", "tensorrt-llm", "dcgm", "node", "prometheus", "unknown"]),
        timeout=dict(type="int", default=10),
    )
    argument_spec.update(_tree.HOST_TREE_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    if PARSER_ERROR:
        module.fail_json(msg=missing_required_lib("prometheus_client"), exception=PARSER_ERROR)
    p = module.params
    url = p["url"]
    try:
        name = snapshot_name(p["name"], url)
        account, root = _tree.resolve_root(p["host_user"], p["root"])
        folder = _tree.confine(root, "snapshot_dir", p["snapshot_dir"])[0]
        status, text, error = _evidence.http_get(url, p["timeout"], limit=MAX_BYTES)
        if status is None:
            module.fail_json(msg="%s: cannot reach the endpoint: %s" % (url, error), url=url)
        if status != 200:
            module.fail_json(msg="%s answered HTTP %s, not 200%s" % (url, status, (": " + error) if error else ""), url=url)
        scraped_at = time.time()
        parsed = _metrics.families(text, text_string_to_metric_families)
        summary = _metrics.summary(parsed)
        if p["expect_framework"] and summary["framework"] != p["expect_framework"]:
            module.fail_json(msg="%s serves %s metrics, not %s" % (url, summary["framework"], p["expect_framework"]), url=url,
                             **summary)
        snapshot = None
        if p["save"]:
            snapshot = "%s/%s-%s.prom" % (folder, name, _files.utc_stamp(scraped_at))
            if not module.check_mode:  # through handles from the root: a planted symlink is refused, never followed
                _files.ensure_dirs(root, _files.relative(root, folder), account.pw_uid, account.pw_gid)
                _files.atomic_write(snapshot, text.encode("utf-8"), mode=0o644, uid=account.pw_uid, gid=account.pw_gid,
                                    root=root)
    except _metrics.MetricsProblem as exc:
        module.fail_json(msg="%s: %s" % (url, exc), url=url)
    except (_tree.OptionProblem, _files.PathProblem) as exc:
        module.fail_json(msg=str(exc), url=url)
    except OSError as exc:
        module.fail_json(msg="%s: cannot write the snapshot: %s" % (url, exc), url=url)
    module.exit_json(changed=snapshot is not None, url=url, snapshot=snapshot, bytes=len(text.encode("utf-8")),
                     scraped_at=scraped_at, family_count=len(summary["families"]), **summary)


if __name__ == "__main__":
    main()
