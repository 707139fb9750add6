"""SST-2 and Sentiment140 loaders: every layout they come in, the fixed sample of the
canonical tweets, the stable splits, and verified downloads from a loopback server."""

import csv
import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.helpers import cache_files
from training import data, sentences
from training.data import DataError, locate
from training.sentences import (
    load_sentiment140,
    load_sst2,
    sst2_splits,
    tweet_split,
    tweet_splits,
)

SST_TRAIN = [("not bad", 1), ("a dull , lifeless film", 0), ("moving and funny", 1)]
SST_DEV = [("it 's a charming journey .", 1), ("a mess .", 0)]


def glue_sst2_zip(path: Path, train=SST_TRAIN, dev=SST_DEV) -> Path:
    """GLUE's layout: SST-2/{train,dev}.tsv with `sentence<TAB>label`."""
    with zipfile.ZipFile(path, "w") as zf:
        for split, rows in (("train", train), ("dev", dev)):
            zf.writestr(f"SST-2/{split}.tsv",
                        "sentence\tlabel\n" + "".join(f"{t}\t{y}\n" for t, y in rows))
        zf.writestr("SST-2/test.tsv", "index\tsentence\n0\tunlabelled\n")
    return path


def shared_sst2_tar(path: Path) -> Path:
    """The shared copy's layout: sst2/{train,dev}.tsv with `label<TAB>text`."""
    with tarfile.open(path, "w:gz") as tar:
        for split, rows, col in (("train", SST_TRAIN, "sentence"), ("dev", SST_DEV, "content")):
            body = f"label\t{col}\n" + "".join(f"{y}\t{t}\n" for t, y in rows)
            info = tarfile.TarInfo(f"sst2/{split}.tsv")
            info.size = len(body.encode())
            tar.addfile(info, io.BytesIO(body.encode()))
    return path


def canonical_s140_zip(path: Path, per_class: int = 6) -> Path:
    """Sentiment140's layout: one latin-1 CSV, polarity 0/4, tweet id, ..., text."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    for i in range(per_class):
        writer.writerow([0, 1000 + i, "Mon Apr 06 2009", "NO_QUERY", "u", f"sad day {i} café"])
        writer.writerow([4, 2000 + i, "Mon Apr 06 2009", "NO_QUERY", "u", f"happy day {i}"])
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(sentences.S140_CSV, out.getvalue().encode("latin-1"))
        zf.writestr("testdata.manual.2009.06.14.csv", b'"2","1","d","q","u","neutral"\n')
    return path


def test_sst2_reads_the_same_from_glue_zip_shared_tar_and_folder(tmp_path: Path) -> None:
    glue = glue_sst2_zip(tmp_path / "SST-2.zip")
    shared = shared_sst2_tar(tmp_path / "sst2.tar.gz")
    folder = tmp_path / "extracted"
    zipfile.ZipFile(glue).extractall(folder)
    for source in (glue, shared, locate("sst2", folder)):
        assert load_sst2(source, "train") == SST_TRAIN
        assert load_sst2(source, "dev") == SST_DEV
    assert locate("sst2", tmp_path) == glue  # the canonical name first


def test_sst2_validation_is_a_stable_part_of_train_and_never_dev(tmp_path: Path) -> None:
    rows = [(f"phrase number {i}", i % 2) for i in range(400)]
    source = glue_sst2_zip(tmp_path / "SST-2.zip", train=rows)
    train, val = sst2_splits(source)
    assert sorted(train + val) == sorted(rows) and 20 < len(val) < 70
    assert sst2_splits(source) == (train, val)
    assert not {t for t, _ in SST_DEV} & {t for t, _ in train + val}


def test_a_file_without_a_label_column_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "SST-2.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("SST-2/train.tsv", "text\tpolarity\nfine\t1\n")
    with pytest.raises(DataError, match="header"):
        load_sst2(bad, "train")


def test_the_canonical_tweets_give_a_fixed_balanced_sample(tmp_path: Path,
                                                           monkeypatch) -> None:
    monkeypatch.setattr(sentences, "SAMPLE_PER_CLASS", 4)
    source = canonical_s140_zip(tmp_path / "trainingandtestdata.zip")
    tweets = load_sentiment140(source)
    assert [y for _, y in tweets] == [0] * 4 + [1] * 4
    assert load_sentiment140(source) == tweets  # fixed: the same sample every time
    assert all(t.startswith("sad") for t, y in tweets if y == 0)
    assert "neutral" not in {t for t, _ in tweets}  # the test file's rows are not read


def test_the_shared_tweets_copy_and_its_stable_split(tmp_path: Path) -> None:
    root = tmp_path / "sentiment140_100k"
    root.mkdir()
    (root / "positive.txt").write_text("".join(f"so happy {i} :-D\n" for i in range(300)))
    (root / "negative.txt").write_text("".join(f"so sad {i}\n" for i in range(300)))
    tweets = load_sentiment140(locate("sentiment140", root))
    assert len(tweets) == 600 and sum(y for _, y in tweets) == 300
    parts = tweet_splits(root)
    assert sum(len(v) for v in parts.values()) == 600
    assert all(tweet_split(t) == name for name, rows in parts.items() for t, _ in rows)
    assert 30 < len(parts["test"]) < 90 and 30 < len(parts["val"]) < 90


def test_sst2_download_is_verified_by_its_content(loopback, tmp_path: Path,
                                                  monkeypatch) -> None:
    url, handler = loopback
    handler.routes["/SST-2.zip"] = glue_sst2_zip(tmp_path / "g.zip").read_bytes()
    monkeypatch.setattr(data, "SST2_URL", f"{url}/SST-2.zip")
    monkeypatch.setattr(sentences, "SST2_ROWS", {"train": 3, "dev": 2})
    path = locate("sst2")
    assert load_sst2(path, "dev") == SST_DEV
    del handler.routes["/SST-2.zip"]
    assert locate("sst2") == path  # cached
    path.unlink()
    handler.routes["/SST-2.zip"] = glue_sst2_zip(tmp_path / "short.zip",
                                                 train=SST_TRAIN[:2]).read_bytes()
    with pytest.raises(DataError, match="train has 2 rows, expected 3"):
        locate("sst2")
    assert cache_files(tmp_path) == []


def test_sentiment140_download_is_verified_and_truncation_leaves_nothing(
        loopback, tmp_path: Path, monkeypatch) -> None:
    url, handler = loopback
    handler.routes["/t.zip"] = canonical_s140_zip(tmp_path / "c.zip").read_bytes()
    monkeypatch.setattr(data, "SENTIMENT140_URL", f"{url}/t.zip")
    monkeypatch.setattr(sentences, "S140_ROWS_PER_CLASS", 7)
    with pytest.raises(DataError, match="expected 7 each"):
        locate("sentiment140")
    assert cache_files(tmp_path) == []
    monkeypatch.setattr(sentences, "S140_ROWS_PER_CLASS", 6)
    handler.truncate.add("/t.zip")
    with pytest.raises(DataError):
        locate("sentiment140")
    assert cache_files(tmp_path) == []
    handler.truncate.clear()
    monkeypatch.setattr(sentences, "SAMPLE_PER_CLASS", 2)
    assert len(load_sentiment140(locate("sentiment140"))) == 4
