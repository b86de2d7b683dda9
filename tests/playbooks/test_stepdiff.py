"""What changed in a playbook, as playbooks.stepdiff reads it: steps added, removed, renamed
(kept by their kind), moved, their due time, who and instructions changed; the playbook's own
fields. And its invariants over any edit: an edit that changes nothing says nothing, every step
after is either added or the same step as one before, every step before either kept or
removed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from playbooks.stepdiff import StepState, head_changes, playbook_changes, step_changes

ACK = StepState("Acknowledge the alert", "on_duty", 5, "Look at the wave.", "acknowledge")
HOLD = StepState("Holding reply", "on_duty", 15, "Answer at once.", "holding_reply")
QA = StepState("Publish the Q&A page", "lead", 45, "", "qa_page")
STEPS = [ACK, HOLD, QA]


def test_the_same_steps_are_no_change():
    assert step_changes(STEPS, list(STEPS)) == []
    head = {"name": "Night crisis", "level": "crisis", "timing": "night", "is_active": True}
    assert (
        playbook_changes(old_head=head, new_head=dict(head), old_steps=STEPS, new_steps=STEPS) == []
    )


def test_a_step_added_and_a_due_time_changed():
    faster = StepState(HOLD.title, HOLD.who, 10, HOLD.instructions, HOLD.kind)
    new = [ACK, faster, QA, StepState("Call the night editor", "lead", 25)]
    assert step_changes(STEPS, new) == [
        {"op": "due", "step": "Holding reply", "old": 15, "new": 10},
        {"op": "added", "step": "Call the night editor"},
    ]


def test_a_renamed_step_is_kept_by_its_kind_and_its_other_changes_named():
    renamed = StepState(
        "Holding post on the origin platform", "lead", 15, "Own post first.", "holding_reply"
    )
    assert step_changes(STEPS, [ACK, renamed, QA]) == [
        {"op": "renamed", "old": "Holding reply", "new": "Holding post on the origin platform"},
        {
            "op": "who",
            "step": "Holding post on the origin platform",
            "old": "on_duty",
            "new": "lead",
        },
        {"op": "instructions", "step": "Holding post on the origin platform"},
    ]


def test_a_step_of_the_brands_own_renamed_in_its_place():
    own = StepState("Tell the CEO", "account_manager", 60)
    renamed = StepState("Tell the CEO and the press officer", "account_manager", 60)
    assert step_changes([ACK, own], [ACK, renamed]) == [
        {"op": "renamed", "old": "Tell the CEO", "new": "Tell the CEO and the press officer"}
    ]


def test_a_default_step_removed_and_a_new_one_in_its_place_is_not_a_rename():
    new = [ACK, HOLD, StepState("Call the night editor", "lead", 45)]
    assert step_changes(STEPS, new) == [
        {"op": "added", "step": "Call the night editor"},
        {"op": "removed", "step": "Publish the Q&A page"},
    ]


def test_steps_in_a_new_order():
    assert step_changes(STEPS, [HOLD, ACK, QA]) == [{"op": "reordered"}]
    # Removing one is not a new order.
    assert step_changes(STEPS, [ACK, QA]) == [{"op": "removed", "step": "Holding reply"}]


def test_the_playbooks_own_fields():
    old = {"name": "Night crisis", "origin": "", "level": "crisis", "timing": "night"}
    new = {"name": "Night", "origin": "leak", "level": "crisis", "timing": "", "is_active": False}
    assert head_changes(old, new) == [
        {"op": "name", "old": "Night crisis", "new": "Night"},
        {"op": "situation", "field": "origin", "old": "", "new": "leak"},
        {"op": "situation", "field": "timing", "old": "night", "new": ""},
        {"op": "active", "new": False},
    ]


TITLES = st.sampled_from(["A", "B", "C", "D", "E", "Holding reply", "Acknowledge the alert"])
STEP = st.builds(
    StepState,
    title=TITLES,
    who=st.sampled_from(["on_duty", "lead", "client"]),
    due_minutes=st.integers(0, 120),
    instructions=st.sampled_from(["", "x", "y"]),
    kind=st.sampled_from(["", "", "acknowledge", "holding_reply"]),
)


@given(st.lists(STEP, max_size=8), st.lists(STEP, max_size=8))
def test_every_step_is_kept_added_or_removed_once(old, new):
    changes = step_changes(old, new)
    assert step_changes(old, old) == [] and step_changes(new, new) == []
    added = [c for c in changes if c["op"] == "added"]
    removed = [c for c in changes if c["op"] == "removed"]
    # Each step after not added is one step before; the rest before were removed.
    assert len(new) - len(added) == len(old) - len(removed)
    assert all(c["op"] != "reordered" for c in changes[:-1])
    if not changes:
        assert len(old) == len(new)
