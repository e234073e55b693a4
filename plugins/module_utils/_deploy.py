# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deploy mode (seed 002): which models a host serves, named and allowed before anything starts.

Pure standard-library code (private to the collection). ``chat`` serves the chat model, ``tool`` the
tool model, ``both`` the two, each from its own server on its own port.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.gh200.sglang.plugins.module_utils._model import policy_problem

MODES = ("chat", "tool", "both")

# The variable each role's model comes from, named in the problems.
MODEL_VARIABLES = {"chat": "gh200_model", "tool": "gh200_tool_model"}


def roles(mode):
    """The server roles of a deploy mode, chat first."""
    return {"chat": ["chat"], "tool": ["tool"], "both": ["chat", "tool"]}.get(mode, [])


def served_models(mode, chat_model, tool_model, allowlist=None):
    """([(role, model)], problems) for a deploy mode: each role needs its model, and each model must be a
    repo id on ``allowlist`` (empty allows any). Problems are one line each, naming the mode or the variable;
    with any problem, nothing is served."""
    if mode not in MODES:
        return [], ["deploy mode %r is not one of %s" % (mode, ", ".join(MODES))]
    given = {"chat": chat_model or "", "tool": tool_model or ""}
    served, problems = [], []
    for role in roles(mode):
        name = str(given[role]).strip()
        if not name:
            problems.append("deploy mode %r needs a %s model: set %s (an org/name repo id)" % (
                mode, role, MODEL_VARIABLES[role]))
            continue
        problem = policy_problem(name, allowlist)
        if problem:
            # The chat model's line is phase 0's own; the tool model's names its variable.
            problems.append(problem if role == "chat" else "%s: %s" % (MODEL_VARIABLES[role], problem))
            continue
        served.append((role, name))
    return ([] if problems else served), problems


def servers(served, chat_args=None, tool_args=None, tool_port=None):
    """One entry per server of the host, from model_files' ``served`` list (role order): its role, model,
    ``max_position_embeddings``, the keys that go on top of the JSON defaults (the model's path and served name,
    the tool server's port, then the inventory's keys for that role), and the prefix its checks are named with
    (none for the chat server, so a chat-only host keeps the plain names)."""
    out = []
    for item in served or []:
        role, model = item["role"], item["model"]
        overrides = {"model_path": "/models/%s" % model, "served_model_name": model}
        if role == "tool" and tool_port not in (None, ""):
            overrides["port"] = int(tool_port)
        overrides.update((chat_args if role == "chat" else tool_args) or {})
        out.append(dict(role=role, model=model, max_position_embeddings=item.get("max_position_embeddings"),
                        overrides=overrides, check_prefix="" if role == "chat" else "%s server: " % role))
    return out


def merge_inspections(inspections):
    """One model_files result from the inspections of the served models, ``[(model, result)]`` in role order.

    A single model's result is returned as it is. With two, each problem and summary line names its model,
    the counts add up, and the other keys are the first model's."""
    if len(inspections) == 1:
        return dict(inspections[0][1])
    merged = dict(inspections[0][1])
    merged["problems"] = dict((k, []) for k in merged.get("problems", {}))
    merged["summary"] = dict((k, []) for k in merged.get("summary", {}))
    merged["problem_count"] = 0
    for model, result in inspections:
        merged["problem_count"] += result.get("problem_count", 0)
        for category, lines in result.get("problems", {}).items():
            merged["problems"].setdefault(category, []).extend("%s: %s" % (model, line) for line in lines)
        for category, line in result.get("summary", {}).items():
            merged["summary"].setdefault(category, []).append("%s: %s" % (model, line))
    merged["summary"] = dict((k, " | ".join(v)) for k, v in merged["summary"].items())
    return merged
