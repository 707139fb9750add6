import tarfile
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers import LANGUAGES, real_data, write_imdb_dir, write_imdb_tar, write_names_dir
from training.data import (
    DataError,
    clean_name_splits,
    iter_imdb,
    iter_names,
    load_imdb,
    locate,
    read_name,
    split_of,
    split_validation,
    tutorial_name_splits,
)


def test_names_read_the_same_from_zip_and_folder(names_zip: Path, tmp_path: Path) -> None:
    folder = write_names_dir(tmp_path)
    from_zip = list(iter_names(locate("names", names_zip)))
    from_dir = list(iter_names(locate("names", folder)))
    assert from_zip == from_dir
    assert {lang for _, lang in from_zip} == set(LANGUAGES)  # not eng-fra beside them


def test_names_may_also_sit_at_the_top_of_a_zip(tmp_path: Path) -> None:
    flat = tmp_path / "mine.zip"
    with zipfile.ZipFile(flat, "w") as zf:
        zf.writestr("./German.txt", "Jager\nMuller\n")  # as `zip -r x.zip ./` writes it
        zf.writestr("Dutch.txt", "Smit\n")
    assert list(iter_names(flat)) == [("Smit", "Dutch"), ("Jager", "German"),
                                      ("Muller", "German")]


def test_clean_splits_dedupe_and_never_share_a_name(names_zip: Path) -> None:
    splits = clean_name_splits(names_zip)
    everything = splits.train + splits.val + splits.test
    assert len(everything) == len(set(everything))  # (name, label) de-duplicated
    seen = [{n.lower() for n, _ in part} for part in (splits.train, splits.val, splits.test)]
    assert not (seen[0] & seen[1]) and not (seen[0] & seen[2]) and not (seen[1] & seen[2])
    assert splits.labels == tuple(sorted(LANGUAGES))


def test_names_the_model_reads_alike_never_straddle_splits(tmp_path: Path) -> None:
    variants = ["Urbanek", "Jäger", "Jager", "Jagér"] + [f"Urbanek{i}" for i in range(60)]
    archive = tmp_path / "names.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("data/names/German.txt", "\n".join(variants) + "\nMuller\n")
        zf.writestr("data/names/Czech.txt", "Urbanek\nNovak\n")
    assert len({split_of(v) for v in variants}) == 3  # the raw names hash apart
    splits = clean_name_splits(archive)
    parts = (splits.train, splits.val, splits.test)
    read = [{read_name(n) for n, _ in part} for part in parts]
    assert not (read[0] & read[1]) and not (read[0] & read[2]) and not (read[1] & read[2])
    # the test set is the hash's: a variant hashed into it stays there, with both labels
    hashed_test = {n for n in [*variants, "Novak", "Muller"] if split_of(n) == "test"}
    assert {n for n, _ in splits.test} == hashed_test
    assert {"urbanek", "jager"} <= read[0] | read[1] | read[2]


def test_split_is_a_stable_function_of_the_lowercased_name() -> None:
    assert split_of("Nakamura") == split_of("NAKAMURA") == split_of("nakamura")
    counts = Counter(split_of(f"name{i}") for i in range(5000))
    assert 0.77 < counts["train"] / 5000 < 0.83
    assert 0.08 < counts["test"] / 5000 < 0.12


def test_clean_splits_are_deterministic(names_zip: Path) -> None:
    assert clean_name_splits(names_zip) == clean_name_splits(names_zip)
    assert tutorial_name_splits(names_zip, seed=1) == tutorial_name_splits(names_zip, seed=1)


def test_imdb_reads_the_same_from_archive_and_folder(imdb_tar: Path, tmp_path: Path) -> None:
    folder = write_imdb_dir(tmp_path)
    for split in ("train", "test", "unsup"):
        # the same reviews in the same order, so both give the same validation split
        assert list(iter_imdb(imdb_tar, split)) == list(iter_imdb(folder, split))
    labels = Counter(y for _, y in load_imdb(imdb_tar, "train"))
    assert labels == {0: 40, 1: 40}
    assert {y for _, y in load_imdb(imdb_tar, "unsup")} == {-1}


def test_the_validation_split_does_not_depend_on_the_archive_order(
    imdb_tar: Path, tmp_path: Path
) -> None:
    reordered = write_imdb_tar(tmp_path / "reordered.tar.gz", reverse=True)
    with tarfile.open(reordered) as a, tarfile.open(imdb_tar) as b:
        assert a.getnames() != b.getnames()
    assert (split_validation(load_imdb(reordered, "train"), 0.25, seed=3)
            == split_validation(load_imdb(imdb_tar, "train"), 0.25, seed=3))


def test_validation_is_carved_from_train_only(imdb_tar: Path) -> None:
    train = load_imdb(imdb_tar, "train")
    rest, val = split_validation(train, 0.25, seed=3)
    assert len(val) == 20 and len(rest) == 60
    assert sorted(rest + val) == sorted(train)
    assert split_validation(train, 0.25, seed=3) == (rest, val)


def test_seqbot_data_env_points_at_a_folder_of_archives(
    names_zip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEQBOT_DATA", str(names_zip.parent))
    assert locate("names") == names_zip


def test_a_wrong_local_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no names data"):
        locate("names", tmp_path)
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tarball")
    with pytest.raises(DataError, match="not a readable IMDB archive"):
        load_imdb(junk, "train")


def test_truncated_imdb_archive_is_a_clear_error(imdb_tar: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(imdb_tar.read_bytes()[: imdb_tar.stat().st_size // 2])
    with pytest.raises(DataError):
        load_imdb(cut, "test")


@pytest.mark.slow
def test_real_surnames_match_the_documented_shape() -> None:
    source = real_data("names.zip")
    lines = list(iter_names(source))
    assert len(lines) == 20074
    arabic = {n for n, lang in lines if lang == "Arabic"}
    assert sum(lang == "Arabic" for _, lang in lines) == 2000 and len(arabic) == 108
    splits = clean_name_splits(source)
    assert len(splits.labels) == 18
    # 12 training pairs read as a test or validation name does ("Jäger" / "Jager") and go
    assert (len(splits.train), len(splits.val), len(splits.test)) == (14475, 1772, 1756)
    assert len(set(lines)) == 18015


@pytest.mark.slow
def test_real_imdb_archive_has_the_official_split() -> None:
    source = real_data("aclImdb_v1.tar.gz")
    with tarfile.open(source) as tar:
        names = [m.name for m in tar if m.name.endswith(".txt")]
    assert sum("/test/" in n for n in names) == 25000
    assert sum("/train/pos/" in n or "/train/neg/" in n for n in names) == 25000
