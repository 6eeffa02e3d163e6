"""``parkbot kb fit-commands``: the command model (intent_model.py) from the knowledge and labelled sets.

What it learns from, each message with its class:
- every ``exact``, ``contains`` and ``examples`` wording of each intent in intents.yaml;
- the labelled command sets (``commands:`` of tests/data/commands.yaml, commands_tuning3.yaml,
  commands_tuning4.yaml, commands_dev6.yaml, commands_dev7.yaml and commands_dev8.yaml -- never an
  unseen set: text, state, intent), a ``none`` only when the same words are not a command in another
  context (「好的」 is nothing at idle but a confirmation at the confirmation step: the context, not the
  model, decides that);
- every FAQ question (a question is not a command) and the form's labelled answers that are a
  value (「人工智能」 as an industry, a phone number), 「不知道」 or what the form asks again about, as
  ``none``; its confirmation-step answers
  that submit or change an item, as ``confirm`` / ``modify``.

Every message is read as commands are read, a sign (👌, intents.yaml ``signs``) as its word. The file
holds counts, not floats: the same data give the same file byte for byte.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Iterable

import yaml

from .command_shapes import command_question
from .intent_model import NONE, fit_counts

MODEL_FILE = "command_model.yaml"
TRAINING_SETS = ("tests/data/commands.yaml", "tests/data/commands_tuning3.yaml", "tests/data/commands_tuning4.yaml",
                 "tests/data/commands_dev6.yaml", "tests/data/commands_dev7.yaml", "tests/data/commands_dev8.yaml",
                 "tests/data/form_answers.yaml")
ALPHA, SHARPNESS = 0.5, 6.0
_HEADER = ("# 指令的统计模型(按字、两字、三字片段计数):由 parkbot kb fit-commands 根据 intents.yaml、常见问题和标注集生成,\n"
           "# 请勿手改。改了 intents.yaml 的说法或常见问题后重新运行它(同样的数据得到同样的文件)。\n")


def intents_digest(intents: Any) -> str:
    """Names the intents' wordings the model was fitted on: `kb check` says when they changed since."""
    rows = sorted((name, sorted({*p.exact, *p.contains, *p.examples})) for name, p in intents.intents.items())
    return hashlib.sha1(repr(rows).encode()).hexdigest()[:12]


def knowledge_samples(kb: Any) -> list[tuple[str, str]]:
    out = [(text, name) for name, p in kb.intents.intents.items() for text in (*p.exact, *p.contains, *p.examples)]
    out += [(q, NONE) for faq in kb.faqs for q in faq.questions]
    return out


def command_samples(cases: Iterable[dict]) -> list[tuple[str, str]]:
    """``commands:`` cases as (text, class); a ``none`` whose words are a command elsewhere is left out."""
    cases = [(str(c["text"]), str(c["intent"]).partition(":")[0]) for c in cases]
    commands = {text for text, label in cases if label != NONE}
    return [(text, label) for text, label in cases if label != NONE or text not in commands]


def form_samples(data: dict) -> list[tuple[str, str]]:
    """The form's labelled answers (tests/data/form_answers.yaml): values are no command."""
    out = []
    for field, items in (data or {}).items():
        if not isinstance(items, list):
            continue
        for item in items:
            text, want = str(item[0]), item[1]
            if field == "confirm":
                if want == "submit":
                    out.append((text, "confirm"))
                elif isinstance(want, dict):
                    out.append((text, "modify"))
            elif not (isinstance(want, str) and (want == "skipped" or want.startswith("command:"))):
                # a value, 「不知道」 (an answer: unknown) or what the form asks again about: no command
                out.append((text, NONE))
    return out


def samples(kb: Any, data_paths: Iterable[str | Path]) -> list[tuple[str, str]]:
    out = knowledge_samples(kb)
    for path in data_paths:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: not a labelled set (a mapping with a commands: list, or the form's answers)")
        if "commands" in data:
            out += command_samples(data["commands"] or [])
        else:
            out += form_samples(data)
    return out


def fit(kb: Any, data_paths: Iterable[str | Path]) -> dict[str, Any]:
    # read as the commands are read: a sign (👌) as the word it stands for
    signs = str.maketrans({sign: f" {word} " for sign, word in kb.intents.signs.items()})
    data = [(text.translate(signs), label) for text, label in samples(kb, data_paths)]
    # a message asks by this knowledge's question words (and 「近不近」), as when it is read
    classes, counts, docs = fit_counts(data, command_question(kb.intents.question))
    return {"alpha": ALPHA, "sharpness": SHARPNESS, "intents_digest": intents_digest(kb.intents),
            "trained_on": docs, "counts": counts}


def write(directory: str | Path, content: dict[str, Any]) -> Path:
    path = Path(directory) / MODEL_FILE
    # one line per class: thousands of counts stay readable in a diff and quick to load
    body = yaml.safe_dump({k: v for k, v in content.items() if k != "counts"}, allow_unicode=True, sort_keys=False,
                          default_flow_style=None, width=200)
    body += "counts:\n" + "".join(
        f"  {name}: " + yaml.safe_dump(counts, allow_unicode=True, default_flow_style=True, width=10 ** 9).strip() + "\n"
        for name, counts in content["counts"].items())
    path.write_text(_HEADER + body, encoding="utf-8")
    return path
