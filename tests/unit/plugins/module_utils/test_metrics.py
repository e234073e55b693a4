"""_metrics on the exposition samples of tests/testbed/metrics/samples (how each was produced: SOURCES.md):
each framework is detected and its serving figures read under the common names; bad text is one clear error."""
import os

import pytest
from prometheus_client.parser import text_string_to_metric_families as parser

from ansible_collections.gh200.sglang.plugins.module_utils import _metrics as m

SAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "testbed", "metrics", "samples")


def sample(name):
    with open(os.path.join(SAMPLES, name + ".prom")) as handle:
        return handle.read()


def summary_of(name):
    return m.summary(m.families(sample(name), parser))


# The three recorded requests: prompt tokens 12+40+7, generation tokens 30+8+64, e2e 0.61+0.35+1.9 s.
@pytest.mark.parametrize("name, framework, itl_name", [
    ("sglang", "sglang", "sglang:inter_token_latency_seconds"),
    ("vllm", "vllm", "vllm:time_per_output_token_seconds"),
    ("tensorrt-llm", "tensorrt-llm", "trtllm_time_per_output_token_seconds"),
])
def test_each_framework_gives_its_serving_figures_under_common_names(name, framework, itl_name):
    s = summary_of(name)
    assert s["framework"] == framework
    key = s["key"]
    assert key["prompt_tokens"] == 59 and key["generation_tokens"] == 102
    assert key["running_requests"] == 2 and key["queued_requests"] == 1
    assert key["requests"] == 3
    assert key["e2e_latency"]["count"] == 3 and key["e2e_latency"]["sum"] == pytest.approx(2.86)
    assert key["e2e_latency"]["mean"] == pytest.approx(2.86 / 3)
    assert key["time_to_first_token"]["count"] == 3 and key["time_to_first_token"]["sum"] == pytest.approx(0.163)
    assert key["inter_token_latency"]["count"] > 0
    assert s["names"]["inter_token_latency"] == itl_name


def test_the_newer_vllm_inter_token_name_is_read_before_the_older_one():
    text = sample("vllm").replace("vllm:time_per_output_token_seconds", "vllm:inter_token_latency_seconds")
    s = m.summary(m.families(text, parser))
    assert s["names"]["inter_token_latency"] == "vllm:inter_token_latency_seconds"
    assert s["key"]["inter_token_latency"]["count"] == 3


def test_the_sglang_server_wins_over_the_process_and_python_families_beside_it():
    s = summary_of("sglang")
    assert "process_cpu_seconds" in s["families"] and "python_gc_objects_collected" in s["families"]
    assert s["families"]["sglang:e2e_request_latency_seconds"] == "histogram"
    assert s["framework"] == "sglang"


@pytest.mark.parametrize("name, framework, family", [
    ("dcgm", "dcgm", "DCGM_FI_DEV_GPU_UTIL"),
    ("node-exporter", "node", "node_load1"),
])
def test_exporters_are_detected_and_give_no_serving_figures(name, framework, family):
    s = summary_of(name)
    assert s["framework"] == framework and family in s["families"]
    assert s["key"] == {}


def test_quantiles_are_estimated_from_the_buckets_as_histogram_quantile_does():
    buckets = [(0.1, 10.0), (0.5, 30.0), (1.0, 40.0), (float("inf"), 40.0)]
    assert m.quantile(0.5, buckets) == pytest.approx(0.1 + 0.4 * (20 - 10) / 20)
    assert m.quantile(0.25, buckets) == pytest.approx(0.1 * 10 / 10)
    assert m.quantile(0.99, buckets) == pytest.approx(0.5 + 0.5 * (39.6 - 30) / 10)
    assert m.quantile(0.5, [(0.1, 0.0), (float("inf"), 0.0)]) is None
    assert m.quantile(0.99, [(0.1, 1.0), (float("inf"), 10.0)]) == 0.1  # a rank past the last finite bound


def test_the_sglang_e2e_quantiles_fall_in_the_buckets_of_the_recorded_latencies():
    e2e = summary_of("sglang")["key"]["e2e_latency"]
    assert 0.35 <= e2e["p50"] <= 1.0 and e2e["p50"] <= e2e["p90"] <= e2e["p99"] <= 2.0


@pytest.mark.parametrize("text, cause", [
    ("sglang:num_running_reqs{model_name=\"x\" 2\n", "malformed exposition text"),
    ("# TYPE x counter\nx_total one\n", "malformed exposition text"),
    ("<html><body>Not Found</body></html>\n", "malformed exposition text"),
    ("", "no metric samples"),
    ("# HELP x nothing\n# TYPE x gauge\n", "no metric samples"),
])
def test_malformed_or_empty_text_is_one_clear_error(text, cause):
    with pytest.raises(m.MetricsProblem) as exc:
        m.families(text, parser)
    assert str(exc.value).startswith(cause), str(exc.value)


def test_unknown_text_is_framework_unknown_without_figures():
    s = m.summary(m.families("# TYPE my_app_up gauge\nmy_app_up 1\n", parser))
    assert s["framework"] == "unknown" and s["key"] == {}


def test_the_comparison_table_puts_servers_side_by_side_with_the_change():
    before = summary_of("sglang")["key"]
    after = dict(before, requests=5.0, prompt_tokens=80.0,
                 e2e_latency=dict(before["e2e_latency"], count=5.0, mean=0.9))
    table = m.markdown_table([("gh200-a sglang", before, after), ("gh200-b vllm", summary_of("vllm")["key"], None)])
    lines = table.splitlines()
    assert lines[0] == ("| figure | gh200-a sglang before | gh200-a sglang after | gh200-a sglang change | gh200-b vllm before"
                        " | gh200-b vllm after | gh200-b vllm change |")
    assert "| requests | 3 | 5 | 2 | 3 | - | - |" in lines
    assert "| prompt_tokens | 59 | 80 | 21 | 59 | - | - |" in lines
    assert any(line.startswith("| e2e_latency count | 3 | 5 | 2 |") for line in lines), table


def test_a_declared_family_without_samples_counts_as_zero():
    """SGLang before its first request: its labelled counters and histograms are declared, with no sample yet."""
    text = ("# HELP sglang:num_requests_total Number of requests processed.\n# TYPE sglang:num_requests_total counter\n"
            "# HELP sglang:e2e_request_latency_seconds Histogram of End-to-end request latency in seconds\n"
            "# TYPE sglang:e2e_request_latency_seconds histogram\n"
            "sglang:num_running_reqs{model_name=\"m\"} 0.0\n")
    key = m.summary(m.families(text, parser))["key"]
    assert key["requests"] == 0.0 and key["running_requests"] == 0.0
    assert key["e2e_latency"]["count"] == 0 and key["e2e_latency"]["mean"] is None
    assert key["prompt_tokens"] is None  # not even declared
