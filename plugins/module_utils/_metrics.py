# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prometheus exposition text from inference servers and exporters, summarised under common names.

Private to the collection. ``families`` parses with prometheus_client's own text parser (passed in, so
this file imports nothing outside the standard library); the rest are pure functions over what it returns.
Metric names were checked against each framework's source:
  SGLang         python/sglang/srt/metrics/collector.py (SchedulerMetricsCollector, TokenizerMetricsCollector)
  vLLM           vllm/v1/metrics/loggers.py (PrometheusStatLogger); time_per_output_token is the older name
                 of inter_token_latency
  TensorRT-LLM   tensorrt_llm/metrics/collector.py (MetricsCollector, prefix ``trtllm_``), served by
                 ``trtllm-serve`` at /prometheus/metrics (its /metrics is JSON iteration stats)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

# (framework, metric name prefix), most specific first.
PREFIXES = (
    ("sglang", "sglang:"),
    ("vllm", "vllm:"),
    ("tensorrt-llm", "trtllm_"),
    ("dcgm", "DCGM_FI_"),
    ("node", "node_"),
    ("prometheus", "prometheus_"),
)

# The serving figures under common names: each a list of candidate sample names, the first found wins.
# Counters and gauges are summed over their label sets; histograms give sum, count, mean and quantiles.
KEY_METRICS = {
    "sglang": {
        "running_requests": ["sglang:num_running_reqs"],
        "queued_requests": ["sglang:num_queue_reqs"],
        "requests": ["sglang:num_requests_total"],
        "prompt_tokens": ["sglang:prompt_tokens_total"],
        "generation_tokens": ["sglang:generation_tokens_total"],
        "time_to_first_token": ["sglang:time_to_first_token_seconds"],
        "inter_token_latency": ["sglang:inter_token_latency_seconds"],
        "e2e_latency": ["sglang:e2e_request_latency_seconds"],
    },
    "vllm": {
        "running_requests": ["vllm:num_requests_running"],
        "queued_requests": ["vllm:num_requests_waiting"],
        "requests": ["vllm:request_success_total"],
        "prompt_tokens": ["vllm:prompt_tokens_total"],
        "generation_tokens": ["vllm:generation_tokens_total"],
        "time_to_first_token": ["vllm:time_to_first_token_seconds"],
        "inter_token_latency": ["vllm:inter_token_latency_seconds", "vllm:time_per_output_token_seconds"],
        "e2e_latency": ["vllm:e2e_request_latency_seconds"],
    },
    "tensorrt-llm": {
        "running_requests": ["trtllm_num_requests_running"],
        "queued_requests": ["trtllm_num_requests_waiting"],
        "requests": ["trtllm_request_success_total"],
        "prompt_tokens": ["trtllm_prompt_tokens_total"],
        "generation_tokens": ["trtllm_generation_tokens_total"],
        "time_to_first_token": ["trtllm_time_to_first_token_seconds"],
        "inter_token_latency": ["trtllm_time_per_output_token_seconds"],
        "e2e_latency": ["trtllm_e2e_request_latency_seconds"],
    },
}
QUANTILES = (0.5, 0.9, 0.99)


class MetricsProblem(ValueError):
    """Exposition text that cannot be used; the message says why."""


def families(text, parser):
    """[(family name, type, [(sample name, labels dict, value)])] from exposition text, through
    ``parser`` (prometheus_client.parser.text_string_to_metric_families). Malformed text raises
    MetricsProblem naming the parser's complaint; text with no sample at all is malformed too."""
    try:
        parsed = [(f.name, f.type, [(s.name, dict(s.labels), float(s.value)) for s in f.samples]) for f in parser(text)]
    except Exception as exc:  # the parser raises ValueError, TypeError or IndexError on bad lines
        raise MetricsProblem("malformed exposition text: %s" % (str(exc).strip() or type(exc).__name__))
    if not any(samples for name, kind, samples in parsed):
        raise MetricsProblem("no metric samples in the exposition text")
    return parsed


def framework(parsed):
    """The framework whose prefix most families carry ('unknown' when none does); a server's own
    families win over the process and Python families every client library adds."""
    counts = {}
    for name, kind, samples in parsed:
        for fw, prefix in PREFIXES:
            if name.startswith(prefix):
                counts[fw] = counts.get(fw, 0) + 1
                break
    if not counts:
        return "unknown"
    order = dict((fw, i) for i, (fw, prefix) in enumerate(PREFIXES))
    return sorted(counts, key=lambda fw: (-counts[fw], order[fw]))[0]


def _samples(parsed, name):
    """Every (labels, value) of sample ``name``."""
    return [(labels, value) for fname, kind, samples in parsed for sname, labels, value in samples if sname == name]


def _has_histogram(parsed, name):
    return bool(_samples(parsed, name + "_count"))


def quantile(q, buckets):
    """The q-quantile estimated from cumulative buckets [(upper bound, count)], as Prometheus's
    histogram_quantile does: linear inside the bucket that holds the rank; None with no observation.
    A rank in the +Inf bucket gives the highest finite bound."""
    buckets = sorted(buckets)
    if not buckets or buckets[-1][1] <= 0:
        return None
    total = buckets[-1][1]
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return lower_bound
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (count - lower_count)
        lower_bound, lower_count = bound, count
    return lower_bound


def histogram(parsed, name):
    """Sum, count, mean and QUANTILES of histogram ``name``, its label sets merged bucket by bucket."""
    total = sum(v for labels, v in _samples(parsed, name + "_sum"))
    count = sum(v for labels, v in _samples(parsed, name + "_count"))
    merged = {}
    for labels, value in _samples(parsed, name + "_bucket"):
        bound = float(labels.get("le", "+Inf"))
        merged[bound] = merged.get(bound, 0.0) + value
    out = {"sum": total, "count": count, "mean": (total / count) if count else None}
    for q in QUANTILES:
        out["p%d" % round(q * 100)] = quantile(q, list(merged.items()))
    return out


def figure(parsed, candidates):
    """(name found, value) for the first candidate present: a number for counters and gauges (summed over label
    sets), a dict for histograms; (None, None) when none is present. A family the server declares but has not
    observed yet (a labelled counter before its first request: HELP and TYPE, no sample) counts as zero."""
    declared = dict((fname, kind) for fname, kind, samples in parsed)
    for name in candidates:
        if _has_histogram(parsed, name):
            return name, histogram(parsed, name)
        found = _samples(parsed, name)
        if not found and not name.endswith("_total"):
            found = _samples(parsed, name + "_total")
        if found:
            return name, sum(v for labels, v in found)
        kind = declared.get(name[:-len("_total")] if name.endswith("_total") else name)
        if kind == "histogram":
            return name, histogram(parsed, name)
        if kind in ("counter", "gauge"):
            return name, 0.0
    return None, None


def summary(parsed):
    """{framework, families, key, names}: the detected framework, every family name with its type,
    the key serving figures under common names (None when the server does not export one) and which
    metric each figure was read from."""
    fw = framework(parsed)
    key, names = {}, {}
    for common, candidates in sorted(KEY_METRICS.get(fw, {}).items()):
        names[common], key[common] = figure(parsed, candidates)
    return {
        "framework": fw,
        "families": dict((name, kind) for name, kind, samples in parsed),
        "key": key,
        "names": names,
    }


def _cell(value):
    if value is None:
        return "-"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return "%d" % value
    if isinstance(value, float):
        return "%.4g" % value
    return str(value)


def comparison_rows(before, after):
    """[(figure, before, after, change)] for each common figure in either key summary; a histogram
    gives its count and mean."""
    rows = []
    for common in sorted(set(before) | set(after)):
        b, a = before.get(common), after.get(common)
        if isinstance(b, dict) or isinstance(a, dict):
            for part in ("count", "mean", "p99"):
                bv, av = (b or {}).get(part), (a or {}).get(part)
                change = (av - bv) if (part == "count" and bv is not None and av is not None) else None
                rows.append(("%s %s" % (common, part), bv, av, change))
        else:
            change = (a - b) if (a is not None and b is not None) else None
            rows.append((common, b, a, change))
    return rows


def markdown_table(columns):
    """A Markdown table of the key figures side by side: ``columns`` is [(server label, before key, after key)]."""
    header = ["figure"]
    lines = {}
    order = []
    for label, before, after in columns:
        header += ["%s before" % label, "%s after" % label, "%s change" % label]
        for name, b, a, change in comparison_rows(before or {}, after or {}):
            if name not in lines:
                lines[name] = {}
                order.append(name)
            lines[name][label] = (b, a, change)
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in order:
        cells = [name]
        for label, before, after in columns:
            cells += [_cell(v) for v in lines[name].get(label, (None, None, None))]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"
