"""What changed in a playbook: its situation and its steps before and after an edit, compared,
as a list of changes a person can read back ("step added 'Call the night editor'", "due time
of 'Holding reply' 15 → 10 min"). Plain Python (no Django import): playbooks.lessons stores
the changes (JSON) and says them in the reader's language.

The editor replaces a playbook's steps as a whole, so a step has no identity across an edit.
A step before is taken to be the same step after when, in this order: its title is the same;
else its kind is (the default steps carry one, kept through a rename); else it stands at the
same place with the same (empty) kind. What is left over was removed or added.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

# A change: {"op": ..., and its parts}, JSON as stored. The ops:
#   name        the playbook renamed: old, new
#   situation   a part of the situation: field (origin, level, timing, platform), old, new
#   active      taken out of use or back in: new (bool)
#   added       a step added: step
#   removed     a step removed: step
#   renamed     a step's title: old, new
#   who         who does a step: step, old, new
#   due         a step's due time in minutes: step, old, new
#   instructions  a step's instructions changed: step
#   reordered   the steps' order changed
Change = dict[str, object]

SITUATION = ("origin", "level", "timing", "platform")


@dataclass(frozen=True)
class StepState:
    title: str
    who: str
    due_minutes: int
    instructions: str = ""
    kind: str = ""


def head_changes(old: Mapping[str, object], new: Mapping[str, object]) -> list[Change]:
    """The playbook's own fields: its name, the situation it fits, whether it is in use."""
    changes: list[Change] = []
    if old.get("name") != new.get("name"):
        changes.append({"op": "name", "old": old.get("name", ""), "new": new.get("name", "")})
    for field in SITUATION:
        if (old.get(field) or "") != (new.get(field) or ""):
            changes.append(
                {
                    "op": "situation",
                    "field": field,
                    "old": old.get(field) or "",
                    "new": new.get(field) or "",
                }
            )
    if bool(old.get("is_active", True)) != bool(new.get("is_active", True)):
        changes.append({"op": "active", "new": bool(new.get("is_active", True))})
    return changes


def _pairs(old: Sequence[StepState], new: Sequence[StepState]) -> dict[int, int]:
    """Which step after (index) is which step before (index)."""
    pairs: dict[int, int] = {}  # new index -> old index
    free_old = list(range(len(old)))

    def take(rule: Callable[[int, StepState, int], bool]) -> None:
        for n, step in enumerate(new):
            if n in pairs:
                continue
            for o in free_old:
                if rule(o, step, n):
                    pairs[n] = o
                    free_old.remove(o)
                    break

    take(lambda o, step, n: old[o].title == step.title)
    kinds_old = [s.kind for s in old]
    kinds_new = [s.kind for s in new]
    take(
        lambda o, step, n: (
            step.kind != ""
            and old[o].kind == step.kind
            and kinds_old.count(step.kind) == 1
            and kinds_new.count(step.kind) == 1
        )
    )
    take(lambda o, step, n: o == n and old[o].kind == step.kind)
    return pairs


def step_changes(old: Sequence[StepState], new: Sequence[StepState]) -> list[Change]:
    """The steps' changes: in the new order, what was added or changed; then what was removed
    (in the old order); then whether the steps kept their order."""
    pairs = _pairs(old, new)
    changes: list[Change] = []
    for n, step in enumerate(new):
        if n not in pairs:
            changes.append({"op": "added", "step": step.title})
            continue
        before = old[pairs[n]]
        if before.title != step.title:
            changes.append({"op": "renamed", "old": before.title, "new": step.title})
        if before.who != step.who:
            changes.append({"op": "who", "step": step.title, "old": before.who, "new": step.who})
        if before.due_minutes != step.due_minutes:
            changes.append(
                {
                    "op": "due",
                    "step": step.title,
                    "old": before.due_minutes,
                    "new": step.due_minutes,
                }
            )
        if before.instructions.strip() != step.instructions.strip():
            changes.append({"op": "instructions", "step": step.title})
    kept = set(pairs.values())
    changes += [{"op": "removed", "step": s.title} for o, s in enumerate(old) if o not in kept]
    order = [pairs[n] for n in sorted(pairs)]
    if order != sorted(order):
        changes.append({"op": "reordered"})
    return changes


def playbook_changes(
    *,
    old_head: Mapping[str, object],
    new_head: Mapping[str, object],
    old_steps: Sequence[StepState],
    new_steps: Sequence[StepState],
) -> list[Change]:
    """Everything that changed, the playbook's own fields first. Empty: nothing did."""
    return head_changes(old_head, new_head) + step_changes(old_steps, new_steps)
