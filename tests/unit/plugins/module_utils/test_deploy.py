"""The deploy mode (seed 002): each mode's models required and allowed, the servers' keys, merged inspections."""
import pytest

from ansible_collections.gh200.sglang.plugins.filter import deploy
from ansible_collections.gh200.sglang.plugins.module_utils import _deploy

CHAT, TOOL = "Qwen/Chat-Model", "Salesforce/Tool-Model"


@pytest.mark.parametrize("mode, served", [
    ("chat", [("chat", CHAT)]),
    ("tool", [("tool", TOOL)]),
    ("both", [("chat", CHAT), ("tool", TOOL)]),
])
def test_each_mode_serves_its_models_chat_first(mode, served):
    assert _deploy.served_models(mode, CHAT, TOOL) == (served, [])


@pytest.mark.parametrize("mode, chat, tool, problem", [
    ("tool", CHAT, "", "deploy mode 'tool' needs a tool model: set gh200_tool_model (an org/name repo id)"),
    ("both", CHAT, "  ", "deploy mode 'both' needs a tool model: set gh200_tool_model (an org/name repo id)"),
    ("both", "", TOOL, "deploy mode 'both' needs a chat model: set gh200_model (an org/name repo id)"),
    ("chat", None, TOOL, "deploy mode 'chat' needs a chat model: set gh200_model (an org/name repo id)"),
    ("tool", CHAT, "tool-model", "gh200_tool_model: model 'tool-model' is not a Hugging Face repo id (org/name, each at most 96 characters)"),
    ("serve", CHAT, TOOL, "deploy mode 'serve' is not one of chat, tool, both"),
])
def test_a_mode_without_its_model_is_one_line_naming_the_variable(mode, chat, tool, problem):
    assert _deploy.served_models(mode, chat, tool) == ([], [problem])


def test_the_allowlist_applies_to_every_served_model_and_only_to_those():
    allow = ["Qwen/*"]
    assert _deploy.served_models("chat", CHAT, TOOL, allow) == ([("chat", CHAT)], [])  # the tool model is not served
    assert _deploy.served_models("both", CHAT, TOOL, allow) == (
        [], ["gh200_tool_model: model 'Salesforce/Tool-Model' is not on the model allowlist (Qwen/*)"])
    assert _deploy.served_models("both", CHAT, TOOL, allow + [TOOL]) == ([("chat", CHAT), ("tool", TOOL)], [])


def test_servers_carry_the_model_the_tool_port_and_the_role_keys_on_top():
    served = [{"role": "chat", "model": CHAT, "max_position_embeddings": 4096},
              {"role": "tool", "model": TOOL, "max_position_embeddings": None}]
    chat, tool = deploy.deploy_servers(served, {"context_length": 2048}, {"mem_fraction_static": 0.3}, "30001")
    assert chat == {"role": "chat", "model": CHAT, "max_position_embeddings": 4096, "check_prefix": "",
                    "overrides": {"model_path": "/models/" + CHAT, "served_model_name": CHAT, "context_length": 2048}}
    assert tool["check_prefix"] == "tool server: " and tool["max_position_embeddings"] is None
    assert tool["overrides"] == {"model_path": "/models/" + TOOL, "served_model_name": TOOL, "port": 30001,
                                 "mem_fraction_static": 0.3}
    # The tool server's own keys win over the tool port; the chat server never gets the tool port.
    assert _deploy.servers(served[1:], None, {"port": 31000}, 30001)[0]["overrides"]["port"] == 31000
    assert "port" not in _deploy.servers(served[:1], None, None, 30001)[0]["overrides"]


def test_one_inspection_is_kept_as_it_is_and_two_name_their_model():
    one = {"problems": {"config": [], "weights": ["a.safetensors is truncated"]}, "problem_count": 1,
           "summary": {"config": "ok", "weights": "2 files"}, "path": "/m/chat"}
    two = {"problems": {"config": ["config.json does not parse"], "weights": []}, "problem_count": 1,
           "summary": {"config": "none", "weights": "1 file"}, "path": "/m/tool"}
    assert _deploy.merge_inspections([(CHAT, one)]) == one
    merged = _deploy.merge_inspections([(CHAT, one), (TOOL, two)])
    assert merged["problem_count"] == 2 and merged["path"] == "/m/chat"
    assert merged["problems"] == {"config": [TOOL + ": config.json does not parse"],
                                  "weights": [CHAT + ": a.safetensors is truncated"]}
    assert merged["summary"]["weights"] == CHAT + ": 2 files | " + TOOL + ": 1 file"
    assert one["problems"]["weights"] == ["a.safetensors is truncated"]  # the inputs are not changed
