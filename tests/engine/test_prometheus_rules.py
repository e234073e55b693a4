"""The Prometheus rules the collection ships for its verdict metrics, checked and unit-tested by promtool (Debian's
prometheus package, in the stand-in dev image, no network): the rule file loads, a failed check and a failed GPU
health gate alert with their annotations, a passing host does not, and a verdict not rewritten for six hours goes
stale. The metrics the rules read are the ones the verdict_textfile filter writes, so its families are checked
against the rule file's names here too."""
import re
import shutil

import docker

from conftest import IMAGE, REPO

RULES = REPO / "roles/report/files/gh200-verify.rules.yml"
TESTS = REPO / "tests/prometheus/gh200-verify.rules.test.yml"
TEXTFILE = REPO / "plugins/plugin_utils/_textfile.py"


def promtool(engine, folder, *argv):
    """(exit code, output) of promtool in the stand-in image, the folder mounted read-only as its working directory."""
    container = engine.containers.run(IMAGE, entrypoint=["promtool"], command=list(argv), working_dir="/rules",
                                      network_mode="none", detach=True,
                                      mounts=[docker.types.Mount("/rules", str(folder), type="bind", read_only=True)])
    try:
        code = container.wait(timeout=120)["StatusCode"]
        return code, container.logs().decode("utf-8", "replace")
    finally:
        container.remove(force=True)


def test_the_rules_load_and_their_promtool_tests_pass(engine, tmp_path):
    shutil.copy(str(RULES), str(tmp_path))
    shutil.copy(str(TESTS), str(tmp_path))
    code, out = promtool(engine, tmp_path, "check", "rules", RULES.name)
    assert code == 0 and "SUCCESS: 5 rules found" in out, out
    code, out = promtool(engine, tmp_path, "test", "rules", TESTS.name)
    assert code == 0 and "SUCCESS" in out, out


def test_a_rule_that_alerts_on_the_wrong_status_fails_its_promtool_test(engine, tmp_path):
    (tmp_path / RULES.name).write_text(RULES.read_text().replace("gh200_verify_check_status == 0", "gh200_verify_check_status < 0"))
    shutil.copy(str(TESTS), str(tmp_path))
    code, out = promtool(engine, tmp_path, "test", "rules", TESTS.name)
    assert code != 0 and "GH200VerifyCheckFailed" in out, out


def test_every_metric_the_rules_read_is_one_the_textfile_writes():
    written = set("gh200_verify_" + n for n in re.findall(r'_family\("([a-z_]+)"', TEXTFILE.read_text()))
    read = set(re.findall(r"\bgh200_verify_[a-z_]+", RULES.read_text())) - {"gh200_verify_"}
    assert read and read <= written, read - written
