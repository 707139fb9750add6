"""Short sentences from the unlabelled reviews, for /teach's sentiment pool."""

from __future__ import annotations

from tests.helpers import imdb_members
from training.cli import main
from training.teach_pool import extract, sentences


def test_sentences_drop_markup_and_split_at_sentence_ends():
    review = "Great film!<br /><br />The cast was superb. I cried at 3 a.m. really.  \"Wow.\""
    assert list(sentences(review)) == ["Great film!", "The cast was superb.",
                                       "I cried at 3 a.m. really.", '"Wow."']


def test_extract_samples_distinct_unlabelled_sentences_only(imdb_tar):
    unsup = [text for name, text in imdb_members().items() if "/unsup/" in name]
    picked = extract(imdb_tar, 10, max_words=30)
    assert len(picked) == len(set(picked)) == 10
    assert all(len(s.split()) == 30 and any(s in review for review in unsup) for s in picked)
    assert "The end." not in picked  # too short
    assert extract(imdb_tar, 10, max_words=30) == picked  # the seed fixes the sample
    assert extract(imdb_tar, 10, max_words=30, seed=1) != picked


def test_cli_writes_one_sentence_per_line(imdb_tar, tmp_path, capsys):
    out = tmp_path / "pool.txt"
    args = ["teach-pool", "--data", str(imdb_tar), "--limit", "3", "--out", str(out)]
    assert main(args) == 0
    assert out.read_text(encoding="utf-8") == ""  # the fixture's sentences are all too long
    assert main([*args, "--max-words", "30"]) == 0
    assert out.read_text(encoding="utf-8").splitlines() == extract(imdb_tar, 3, max_words=30)
    assert "wrote 3 sentences" in capsys.readouterr().err
