#!/usr/bin/env python3
"""Checks a tunepilot hand-off bundle against the engines' documented key lists
(tests/fixtures/handoff/*_keys.txt, each naming its source) and, where Python's
jinja2 is installed, renders the bundle's chat template on the bundle's first
training record and compares it with tunepilot's default template as dataset.h
documents it. Usage: handoff_check.py FIXTURES BUNDLE ENGINE [KEY=VALUE ...]
(KEY a dotted path into the engine's configuration, VALUE its expected YAML
text). Prints one line per problem; exit 1 on any."""
import json, os, sys

import yaml

fixtures, bundle, engine = sys.argv[1:4]
expect = [a.split("=", 1) for a in sys.argv[4:]]
problems = []


def keys(name):
    sections, cur = {}, None
    for line in open(os.path.join(fixtures, name + "_keys.txt")):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            cur = line.strip("[]")
            sections[cur] = set()
        else:
            sections[cur].add(line)
    return sections


def check(doc, allowed, where):
    if not isinstance(doc, dict):
        problems.append(f"{where}: not a mapping")
        return
    for k in doc:
        if k not in allowed:
            problems.append(f"{where}: unknown key {k!r}")


def load(name):
    path = os.path.join(bundle, name)
    with open(path) as f:
        return yaml.safe_load(f)


conf_file = {"axolotl": "config.yml", "trl": "sft.yml", "torchtune": "torchtune.yml"}[engine]
conf = load(conf_file)
k = keys(engine)
check(conf, k["top"], conf_file)
if engine == "axolotl":
    for sect in ("datasets", "test_datasets"):
        for i, d in enumerate(conf.get(sect) or []):
            check(d, k["dataset"], f"{conf_file}: {sect}[{i}]")
if engine == "torchtune":
    check(conf["model"], k["model"], f"{conf_file}: model")
    for sect in ("dataset", "dataset_val"):
        if sect in conf:
            check(conf[sect], k["dataset"], f"{conf_file}: {sect}")
if engine in ("axolotl", "trl"):
    acc = load("accelerate.yml")
    ka = keys("accelerate")
    check(acc, ka["top"], "accelerate.yml")
    if "deepspeed_config" in acc:
        check(acc["deepspeed_config"], ka["deepspeed_config"], "accelerate.yml: deepspeed_config")
        json.load(open(os.path.join(bundle, "deepspeed.json")))
if os.path.exists(os.path.join(bundle, "sky.yml")):
    sky = load("sky.yml")
    ks = keys("skypilot")
    check(sky, ks["top"], "sky.yml")
    check(sky.get("resources"), ks["resources"], "sky.yml: resources")
json.load(open(os.path.join(bundle, "handoff.json")))

for path, want in expect:
    v = conf
    for part in path.split("."):
        v = v.get(part) if isinstance(v, dict) else None
    got = yaml.safe_dump(v, default_flow_style=True).strip().removesuffix("...").strip()
    if got != want:
        problems.append(f"{conf_file}: {path} is {got}, expected {want}")

# the chat template, when the bundle carries tunepilot's default one
template = None
if engine == "axolotl" and conf.get("chat_template") == "jinja":
    template = conf["chat_template_jinja"]
elif os.path.exists(os.path.join(bundle, "chat_template.jinja")):
    template = open(os.path.join(bundle, "chat_template.jinja")).read()
if template is not None:
    try:
        import jinja2
    except ImportError:
        print("note: python3-jinja2 absent: chat template not rendered")
        jinja2 = None
    if jinja2:
        rec = json.loads(open(os.path.join(bundle, "data", "train.jsonl")).readline())
        msgs = rec["messages"] if "messages" in rec else rec["prompt"] + rec["completion"]
        got = jinja2.Environment().from_string(template).render(
            messages=msgs, eos_token="</s>", add_generation_prompt=False)
        # dataset.h: "### System:\n{s}\n\n", "### User:\n{u}\n\n", "### Assistant:\n{a}EOS",
        # then "\n\n" when more messages follow
        want = ""
        for i, m in enumerate(msgs):
            head = {"system": "System", "user": "User", "assistant": "Assistant"}[m["role"]]
            want += f"### {head}:\n{m['content']}"
            if m["role"] == "assistant":
                want += "</s>" + ("\n\n" if i + 1 < len(msgs) else "")
            else:
                want += "\n\n"
        if got != want:
            problems.append(f"chat template renders {got!r}, expected {want!r}")

for p in problems:
    print("FAIL:", p)
sys.exit(1 if problems else 0)
