"""metrics_compare: the servers side by side in one Markdown file, rewritten only when it changes, never through a symlink."""
import os

from ansible_collections.gh200.sglang.plugins.modules import metrics_compare

BEFORE = {"requests": 0.0, "prompt_tokens": 0.0, "e2e_latency": {"count": 0.0, "mean": None, "p99": None}}
AFTER = {"requests": 6.0, "prompt_tokens": 180.0, "e2e_latency": {"count": 6.0, "mean": 0.5, "p99": 0.99}}


def test_the_table_is_written_once_and_check_mode_predicts(run_module, tmp_path):
    dest = str(tmp_path / "metrics.md")
    args = {"servers": [{"label": "a", "before": BEFORE, "after": AFTER}, {"label": "b", "before": BEFORE, "after": BEFORE}],
            "dest": dest}
    code, predicted = run_module(metrics_compare.main, dict(args, _ansible_check_mode=True))
    assert code == 0 and predicted["changed"] and not os.path.exists(dest)
    code, first = run_module(metrics_compare.main, args)
    assert code == 0 and first["changed"]
    text = open(dest).read()
    assert text.startswith("# Serving figures before and after the soak\n\n| figure | a before | a after | a change | b before")
    assert "| requests | 0 | 6 | 6 | 0 | 0 | 0 |" in text and "| e2e_latency count | 0 | 6 | 6 | 0 | 0 | 0 |" in text
    assert os.stat(dest).st_mode & 0o777 == 0o644
    code, again = run_module(metrics_compare.main, args)
    assert code == 0 and not again["changed"]


def test_a_server_without_figures_or_a_symlinked_dest_is_one_error(run_module, tmp_path):
    code, result = run_module(metrics_compare.main, {"servers": [{"label": "a", "before": BEFORE}], "dest": str(tmp_path / "m.md")})
    assert code == 1 and result["msg"] == "servers[0] has no after"
    os.symlink("/etc/hostname", str(tmp_path / "link.md"))
    code, result = run_module(metrics_compare.main, {"servers": [], "dest": str(tmp_path / "link.md")})
    assert code == 1 and "is a symlink" in result["msg"]
    code, result = run_module(metrics_compare.main, {"servers": [], "dest": str(tmp_path / "no/dir/m.md")})
    assert code == 1 and result["msg"].endswith("its directory does not exist")


def test_a_before_that_is_not_a_summary_is_one_line(run_module, tmp_path):
    from ansible_collections.gh200.sglang.plugins.modules import metrics_compare
    dest = tmp_path / "compare.md"
    code, result = run_module(metrics_compare.main, {"servers": [{"label": "a", "before": 5, "after": {}}], "dest": str(dest)})
    assert code == 1 and result["msg"] == "servers[0].before is 5, not the key summaries of prometheus_scrape (a dict)"
    assert not dest.exists()
