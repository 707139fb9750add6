"""Version names: a command that makes a version from another (a calibration in place, a
lesson, a fine-tune) may finish within the second its parent was named in."""

import inference.checkpoint as checkpoint
from inference.worker import _VERSION_NAME


def test_a_version_named_within_its_parents_second_gets_a_suffix(monkeypatch):
    parent = "sentiment-20261206-045604"
    monkeypatch.setattr(checkpoint, "new_version", lambda task: f"{task}-20261206-045604")
    assert checkpoint.unique_version("sentiment", set()) == parent
    assert checkpoint.unique_version("sentiment", {parent}) == f"{parent}-1"
    assert checkpoint.unique_version("sentiment", {parent, f"{parent}-1"}) == f"{parent}-2"
    assert _VERSION_NAME.fullmatch(f"{parent}-2")  # a name the registry serves
