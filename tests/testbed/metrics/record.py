"""Record the Prometheus exposition samples under samples/ (STAND-IN test data; see samples/SOURCES.md).

    python3 record.py sglang <out>          SGLang's own collectors (needs the sglang package importable)
    python3 record.py vllm|tensorrt-llm|dcgm <out>

`sglang` drives SGLang's real SchedulerMetricsCollector and TokenizerMetricsCollector through three finished
requests, so every name, help text, label and bucket is SGLang's. The others declare, with prometheus_client,
the metrics the serving figures read, with the names, help texts, labels and buckets of the source files
samples/SOURCES.md names, and observe the same three requests.
"""
import sys

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
import prometheus_client

# Three finished requests: (prompt tokens, generation tokens, time to first token, e2e latency) in seconds.
REQUESTS = [(12, 30, 0.042, 0.61), (40, 8, 0.090, 0.35), (7, 64, 0.031, 1.9)]
LATENCY = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0,
           960.0, 1920.0, 7680.0]
TTFT = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
        160.0, 640.0, 2560.0]
TPOT = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0]


def sglang():
    from sglang.srt.metrics.collector import SchedulerMetricsCollector, SchedulerStats, TokenizerMetricsCollector
    labels = {"model_name": "standin/tiny-model"}
    scheduler = SchedulerMetricsCollector(labels=labels)
    tokenizer = TokenizerMetricsCollector(labels=labels)
    for prompt, generated, ttft, e2e in REQUESTS:
        tokenizer.observe_time_to_first_token(labels, ttft)
        tokenizer.observe_inter_token_latency(labels, e2e - ttft, generated - 1)
        tokenizer.observe_one_finished_request(labels, prompt, generated, 0, e2e, False, 0)
    scheduler.log_stats(SchedulerStats(num_running_reqs=2, num_queue_reqs=1, num_used_tokens=118, token_usage=0.04))
    return prometheus_client.REGISTRY


def vllm():
    """vllm/v1/metrics/loggers.py, PrometheusStatLogger (labels model_name, engine)."""
    r, names = CollectorRegistry(), ["model_name", "engine"]
    labels = ("standin/tiny-model", "0")
    Gauge("vllm:num_requests_running", "Number of requests in model execution batches.", names, registry=r).labels(*labels).set(2)
    Gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.", names, registry=r).labels(*labels).set(1)
    prompt = Counter("vllm:prompt_tokens", "Number of prefill tokens processed.", names, registry=r).labels(*labels)
    generation = Counter("vllm:generation_tokens", "Number of generation tokens processed.", names, registry=r).labels(*labels)
    success = Counter("vllm:request_success", "Count of successfully processed requests.", names + ["finished_reason"], registry=r)
    ttft = Histogram("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", names, buckets=TTFT,
                     registry=r).labels(*labels)
    tpot = Histogram("vllm:time_per_output_token_seconds", "Histogram of time per output token in seconds.", names,
                     buckets=TPOT, registry=r).labels(*labels)
    e2e_h = Histogram("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", names,
                      buckets=LATENCY, registry=r).labels(*labels)
    for p, g, first, e2e in REQUESTS:
        prompt.inc(p)
        generation.inc(g)
        success.labels(*labels, "stop").inc()
        ttft.observe(first)
        tpot.observe((e2e - first) / (g - 1))
        e2e_h.observe(e2e)
    return r


def tensorrt_llm():
    """tensorrt_llm/metrics/collector.py, MetricsCollector (prefix trtllm_, labels model_name, engine_type)."""
    r, names = CollectorRegistry(), ["model_name", "engine_type"]
    labels = ("standin/tiny-model", "trtllm")
    Gauge("trtllm_num_requests_running", "Number of active requests", names, registry=r).labels(*labels).set(2)
    Gauge("trtllm_num_requests_waiting", "Number of queued requests", names, registry=r).labels(*labels).set(1)
    success = Counter("trtllm_request_success_total", "Count of successfully processed requests.", names + ["finished_reason"],
                      registry=r)
    prompt = Counter("trtllm_prompt_tokens_total", "Cumulative number of prompt (input) tokens processed.", names,
                     registry=r).labels(*labels)
    generation = Counter("trtllm_generation_tokens_total", "Cumulative number of generation (output) tokens produced.", names,
                         registry=r).labels(*labels)
    e2e_h = Histogram("trtllm_e2e_request_latency_seconds", "Histogram of end to end request latency in seconds.", names,
                      buckets=LATENCY, registry=r).labels(*labels)
    ttft = Histogram("trtllm_time_to_first_token_seconds", "Histogram of time to first token in seconds.", names,
                     buckets=TTFT, registry=r).labels(*labels)
    tpot = Histogram("trtllm_time_per_output_token_seconds", "Histogram of time per output token in seconds.", names,
                     buckets=TPOT, registry=r).labels(*labels)
    for p, g, first, e2e in REQUESTS:
        success.labels(*labels, "stop").inc()
        prompt.inc(p)
        generation.inc(g)
        e2e_h.observe(e2e)
        ttft.observe(first)
        tpot.observe((e2e - first) / (g - 1))
    return r


def dcgm():
    """dcgm-exporter's default counters (etc/default-counters.csv): gauges labelled gpu, UUID, device, modelName, Hostname."""
    r = CollectorRegistry()
    names = ["gpu", "UUID", "device", "modelName", "Hostname"]
    labels = ("0", "GPU-00000000-0000-0000-0000-000000000000", "nvidia0", "NVIDIA GH200 480GB", "gh200-a")
    for name, text, value in (("DCGM_FI_DEV_GPU_UTIL", "GPU utilization (in %).", 37),
                              ("DCGM_FI_DEV_GPU_TEMP", "GPU temperature (in C).", 41),
                              ("DCGM_FI_DEV_POWER_USAGE", "Power draw (in W).", 212.5),
                              ("DCGM_FI_DEV_FB_USED", "Framebuffer memory used (in MiB).", 81234)):
        Gauge(name, text, names, registry=r).labels(*labels).set(value)
    return r


RECORDERS = {"sglang": sglang, "vllm": vllm, "tensorrt-llm": tensorrt_llm, "dcgm": dcgm}

if __name__ == "__main__":
    which, out = sys.argv[1], sys.argv[2]
    with open(out, "wb") as handle:
        handle.write(generate_latest(RECORDERS[which]()))
