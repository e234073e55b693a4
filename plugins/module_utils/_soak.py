# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A bounded soak of an OpenAI-style chat endpoint on loopback: pure helpers (private to the collection)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.gh200.sglang.plugins.module_utils import _evidence


def loopback_problem(url):
    """One line when ``url`` is not http(s) to a loopback address (127.0.0.0/8, ::1, localhost), else None."""
    parsed, dummy, problem = _evidence.http_url(url)
    if problem:
        return problem
    if _evidence.is_loopback(parsed.hostname):
        return None
    return "url %r does not point at loopback: a soak only goes to 127.0.0.0/8, ::1 or localhost" % url


def percentile(sorted_values, q):
    """The q-quantile of already sorted values (nearest rank); None for no values."""
    if not sorted_values:
        return None
    rank = max(1, int(-(-q * len(sorted_values) // 1)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summary(outcomes, wall_seconds):
    """The soak's figures from [(ok, seconds, prompt tokens, completion tokens, error)], one per request."""
    latencies = sorted(o[1] for o in outcomes if o[0])
    errors = [o[4] for o in outcomes if not o[0]]
    done = len(latencies)
    return {
        "sent": len(outcomes),
        "ok": done,
        "failed_requests": len(errors),  # never "failed": Ansible reads that key as the task's own failure
        "errors": sorted(set(errors))[:5],
        "wall_s": round(wall_seconds, 3),
        "requests_per_s": round(done / wall_seconds, 3) if wall_seconds > 0 else None,
        "latency_s": {"mean": round(sum(latencies) / done, 4) if done else None,
                      "p50": percentile(latencies, 0.5), "p90": percentile(latencies, 0.9), "p99": percentile(latencies, 0.99),
                      "max": latencies[-1] if latencies else None},
        "prompt_tokens": sum(o[2] for o in outcomes if o[0]),
        "completion_tokens": sum(o[3] for o in outcomes if o[0]),
    }
