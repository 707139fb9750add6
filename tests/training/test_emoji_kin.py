"""Rows for the emoji a vocabulary lacks, from their Unicode kin (training/emoji_kin.py)."""

import pytest
import torch

from inference.text import SPECIALS, UNK_ID, Vocab
from training.emoji_kin import emoji_unit, grown, unicode_kin

KIN = {  # unit -> (subgroup, place in Unicode's order)
    "emoji_a": ("faces", 1), "emoji_b": ("faces", 2), "emoji_c": ("faces", 5),
    "emoji_d": ("faces", 7), "emoji_e": ("objects", 20), "emoji_f": ("objects", 21),
}


def _vocab_and_embed() -> tuple[Vocab, torch.Tensor]:
    vocab = Vocab((*SPECIALS, "good", "emoji_a", "emoji_c"))
    embed = torch.arange(len(vocab) * 2, dtype=torch.float).reshape(len(vocab), 2)
    return vocab, embed


def test_an_unknown_emoji_joins_with_its_known_kin_weighted_by_nearness() -> None:
    vocab, embed = _vocab_and_embed()
    new_vocab, new_embed, added = grown(vocab, embed, set(), KIN)
    assert added == ["emoji_b", "emoji_d"]  # the faces; objects have no known kin
    assert new_vocab.itos == (*vocab.itos, "emoji_b", "emoji_d")
    assert torch.equal(new_embed[: len(vocab)], embed)  # the known rows stay as they were
    a, c = embed[vocab.encode(["emoji_a"])[0]], embed[vocab.encode(["emoji_c"])[0]]
    # emoji_b sits 1 from emoji_a and 3 from emoji_c; emoji_d 6 and 2
    assert torch.allclose(new_embed[-2], (a / 1 + c / 3) / (1 / 1 + 1 / 3))
    assert torch.allclose(new_embed[-1], (a / 6 + c / 2) / (1 / 6 + 1 / 2))


def test_an_emoji_training_will_meet_joins_without_kin_as_it_read_before() -> None:
    vocab, embed = _vocab_and_embed()
    new_vocab, new_embed, added = grown(vocab, embed, {"emoji_e"}, KIN)
    assert added == ["emoji_b", "emoji_d", "emoji_e"]
    assert torch.equal(new_embed[-1], embed[UNK_ID])
    assert "emoji_f" not in new_vocab  # neither kin nor met: still <unk>


def test_a_vocabulary_with_every_emoji_is_left_as_it_is() -> None:
    vocab = Vocab((*SPECIALS, *KIN))
    embed = torch.randn(len(vocab), 3)
    assert grown(vocab, embed, set(KIN), KIN) == (vocab, embed, [])


@pytest.mark.parametrize(("emoji", "beside"), [("🤮", "😷"), ("🤣", "😂"), ("🥰", "😍"),
                                                ("🙄", "😒")])
def test_unicode_groups_newer_faces_with_older_ones_of_their_kind(emoji: str, beside: str
                                                                 ) -> None:
    kin = unicode_kin()
    (group, place), (other_group, other_place) = kin[emoji_unit(emoji)], kin[emoji_unit(beside)]
    assert group == other_group and place != other_place


def test_only_what_reads_as_one_emoji_unit_has_kin() -> None:
    assert emoji_unit("🤮") == "emoji_face_vomiting"
    assert emoji_unit("🤦‍♂️") is None  # a sequence: two units
    assert emoji_unit("ok") is None and emoji_unit("!!!") is None  # a word; nothing to read
    assert all(unit.startswith("emoji_") for unit in unicode_kin())
