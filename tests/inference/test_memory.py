"""The known-input memory: names the data and the community already answer, as the worker
serves them, and kept out of every evaluation."""

from pathlib import Path

import pytest

from inference.checkpoint import load_checkpoint, save_checkpoint
from inference.memory import AgreedInput, Memory
from inference.predictor import Predictor
from inference.surname_forms import masculine_forms, name_forms, unaccented_forms
from inference.tasks import ORIGIN
from inference.text import name_key
from inference.verdict import NOT_SURE, SURE
from training.data import clean_name_splits
from training.devset import load_devset


def memory(pairs) -> Memory:
    return Memory(name_key, pairs)


def test_memory_keeps_accents_and_scripts() -> None:
    known = memory([("Müller", "German"), ("Muller", "Russian"), ("Gim", "Russian"),
                    ("Smith", "English"), ("Smith", "Scottish"), ("Smith", "Czech"),
                    ("Smith", "English")])
    assert name_key(" MÜLLER ") == name_key("Mu\u0308ller") == "müller"
    assert known.lookup("müller").labels == (("German", 1.0),)
    assert known.lookup("MULLER").labels == (("Russian", 1.0),)
    assert known.lookup("김") is None  # not the data's Russian "Gim", its transliteration
    known.agree(AgreedInput("kim", "김", "Korean"))
    assert known.lookup("김").labels == (("Korean", 1.0),)
    smith = known.lookup("smith")
    assert [label for label, _ in smith.labels] == ["Czech", "English", "Scottish"]
    assert [share for _, share in smith.labels] == pytest.approx([1 / 3] * 3)
    text = smith.evidence("name", ["English", "Scottish", "Russian", "Czech"]).text
    assert text == "known name: English, Scottish, Czech in the data"
    assert known.lookup("Smithson") is None and len(known) == 5


def test_a_feminine_form_answers_from_its_known_masculine_form() -> None:
    known = Memory(name_key, [("Ivanov", "Russian"), ("Novak", "Czech"), ("Novak", "Polish"),
                              ("Kowalski", "Polish"), ("Ivanova", "English"), ("Farin", "Russian"),
                              ("Novák", "Czech")], name_forms)
    itself = known.lookup("Ivanova")  # known itself: the data's own label wins
    assert itself.labels == (("English", 1.0),) and itself.form == ""
    known = Memory(name_key, [("Ivanov", "Russian"), ("Novak", "Czech"), ("Novak", "Polish"),
                              ("Kowalski", "Polish"), ("Novák", "Czech")], name_forms)
    ivanova = known.lookup("IVANOVA")
    assert ivanova.labels == (("Russian", 1.0),) and ivanova.form == "Ivanov"
    assert ivanova.evidence("name").text == (
        "known name: Russian in the data, as Ivanov, its masculine form")
    # only the languages that make that feminine: Polish writes Nowakowa, not Novakova
    assert known.lookup("Novakova").labels == (("Czech", 1.0),)
    assert known.lookup("Nováková").form == "Novák"  # accents kept, as typed
    assert known.lookup("Kowalska").labels == (("Polish", 1.0),)
    assert known.lookup("Ina") is None and known.lookup("Ivanovna") is None
    known.agree(AgreedInput("petrov", "Petrov", "Russian"))
    assert known.lookup("Petrova").sources == ("agreed",)
    assert Memory(name_key, [("Ivanov", "Russian")]).lookup("Ivanova") is None  # no forms


def test_a_name_typed_with_accents_answers_from_its_unaccented_form() -> None:
    """The data writes most names without their accents: "Lê" had been French 89%."""
    known = Memory(name_key, [("Ho", "Korean"), ("Ho", "Vietnamese"), ("Jager", "Russian"),
                              ("Ly", "Vietnamese")], name_forms)
    ho = known.lookup("Hồ")  # ồ is Vietnamese's alone: the data's Korean Ho is left out
    assert ho.labels == (("Vietnamese", 1.0),) and ho.form == "Ho"
    assert ho.evidence("name").text == (
        "known name: Vietnamese in the data, as Ho, without its accents")
    assert known.lookup("Lý").labels == (("Vietnamese", 1.0),)
    assert known.lookup("Jäger") is None  # ä is German's, and Jager is Russian in the data
    assert known.lookup("Ho").form == ""  # known as typed


def test_unaccented_forms_keep_the_languages_that_write_every_marked_letter() -> None:
    assert unaccented_forms("lê") == [("le", ("French", "Portuguese", "Vietnamese"))]
    assert unaccented_forms("dvořák") == [("dvorak", ("Czech",))]
    assert unaccented_forms("le") == []  # nothing to take off
    assert unaccented_forms("åkesson") == [] and unaccented_forms("kráľ") == []  # no language
    assert unaccented_forms("møller") == []  # ø is a letter of its own, not o with a mark
    assert unaccented_forms("b\u0300") == []  # a mark no precomposed letter takes


def test_masculine_forms_by_language() -> None:
    assert masculine_forms("ivanova") == [("ivanov", ("Russian",)), ("ivan", ("Czech",)),
                                          ("ivana", ("Czech",))]
    assert ("sokolovsky", ("Russian",)) in masculine_forms("sokolovskaya")
    assert ("tolstoy", ("Russian",)) in masculine_forms("tolstaya")
    assert ("novotný", ("Czech",)) not in masculine_forms("novotná")  # -ná is not read
    assert masculine_forms("kowalska") == [("kowalski", ("Polish",)),
                                           ("kowalsky", ("Czech",))]
    assert ("svoboda", ("Czech",)) in masculine_forms("svobodová")
    assert masculine_forms("smith") == [] and masculine_forms("eva") == []


def test_agreed_names_join_at_once_and_leave_when_no_longer_agreed() -> None:
    known = memory([("Smith", "English")])
    assert known.set_agreed([AgreedInput("nguyen", "Nguyễn", "Vietnamese")]) == (1, 0)
    assert known.lookup("nguyễn").labels == (("Vietnamese", 1.0),)
    assert known.lookup("nguyễn").sources == ("agreed",)
    known.agree(AgreedInput("smith", "Smith", "Scottish"))
    assert known.lookup("Smith").sources == ("data", "agreed")
    assert known.lookup("Smith").evidence("name").text == (
        "known name: English, Scottish in the data and agreed by the community")
    known.agree(AgreedInput("smith", "Smith", "Irish"))  # the same agreement, changed
    assert dict(known.lookup("Smith").labels) == {"English": 0.5, "Irish": 0.5}
    assert known.revoke("nguyen") and not known.revoke("nguyen")
    assert known.lookup("Nguyễn") is None
    assert known.set_agreed([]) == (0, 1)
    assert known.lookup("Smith").labels == (("English", 1.0),) and len(known) == 1


def test_agreed_inputs_read_the_same_as_json() -> None:
    agreed = AgreedInput("k", "Nguyễn", "Vietnamese")
    assert AgreedInput.from_json(agreed.to_json()) == agreed
    with pytest.raises(TypeError):
        AgreedInput.from_json({"reference": 1, "input": "x", "label": "y"})


def test_an_evaluation_memory_never_answers_a_test_name(names_zip: Path) -> None:
    splits = clean_name_splits(names_zip)
    evaluation = memory(splits.train + splits.val)
    assert splits.test and not [n for n, _ in splits.test if evaluation.lookup(n)]
    served = memory(splits.train + splits.val + splits.test)
    assert all(served.lookup(n) for n, _ in splits.test)


def test_dev_names_are_unknown_to_the_served_memory(names_zip: Path) -> None:
    splits = clean_name_splits(names_zip)
    served = memory(splits.train + splits.val + splits.test)
    assert not [d.name for d in load_devset() if served.lookup(d.name)]


@pytest.fixture
def origin(checkpoints: dict[str, Path]) -> Predictor:
    return Predictor(load_checkpoint(checkpoints["origin"], "origin"))


def test_a_known_name_answers_from_the_memory(origin: Predictor) -> None:
    first, second = origin.labels[:2]
    origin.ckpt.verdicts = {"not_sure_below": 0.7}
    origin.memory = memory([("Smith", first), ("SMITH", first), ("Smith", second)])
    [smith, other] = origin.predict(["smith", "Smithers"], top_k=3)
    assert smith.source == "known_name" and (smith.label, smith.top[1][0]) == (first, second)
    assert smith.probability == pytest.approx(2 / 3, abs=1e-5)
    assert smith.confidence == NOT_SURE and smith.top[2][1] < 1e-5
    assert smith.known is not None and smith.known.labels == (first, second)
    assert smith.evidence[0].text == f"known name: {first}, {second} in the data"
    assert other.source == "model" and other.known is None
    origin.memory = memory([("Smith", first)])
    [smith] = origin.predict(["Smith"])
    assert smith.label == first and smith.confidence == SURE


def test_a_predictor_without_a_memory_never_answers_from_one(origin: Predictor) -> None:
    """Evaluation builds Predictors without a memory: the checkpoint's known inputs only
    answer where a worker serves them."""
    origin.ckpt.known_inputs = (("Smith", origin.labels[0]),)
    [smith] = origin.predict(["Smith"])
    assert smith.source == "model" and origin.memory is None


def test_checkpoints_carry_their_known_inputs_and_verdicts(checkpoints, tmp_path) -> None:
    ckpt = load_checkpoint(checkpoints["origin"], "origin")
    assert ckpt.known_inputs == () and ckpt.verdicts == {}
    ckpt.known_inputs = (("Müller", "German"), ("Smith", "English"), ("Smith", "Scottish"))
    ckpt.verdicts = {"not_sure_below": 0.5}
    save_checkpoint(ckpt, tmp_path / "o.safetensors")
    again = load_checkpoint(tmp_path / "o.safetensors", "origin")
    assert sorted(again.known_inputs) == sorted(ckpt.known_inputs)
    assert again.verdicts == {"not_sure_below": 0.5}
    assert ORIGIN.memory is not None and ORIGIN.memory.noun == "name"


async def test_the_worker_serves_the_checkpoints_known_inputs_and_keeps_agreed_ones(tmp_path):
    """The data's known names come with the checkpoint (and go with it on a reload); the
    agreed ones belong to the worker and stay across reloads."""
    from inference.registry import set_current, task_dir
    from inference.worker import InferenceWorker
    from tests.helpers import promote, write_ready_origin

    write_ready_origin(task_dir(tmp_path, "origin") / "origin-20260101-000001.safetensors",
                       "origin-20260101-000001")
    set_current(tmp_path, "origin", "origin-20260101-000001")
    async with InferenceWorker(model_dir=tmp_path, device="cpu", threads=1) as worker:
        assert (await worker.predict_one("origin", "Nakamura")).source == "known_name"
        assert await worker.set_agreed("origin", [AgreedInput("z", "Zwoelf", "Korean")]) == (
            1, 0)
        promote(tmp_path, "origin", "origin-20260102-000001", seed=2)  # no known inputs
        await worker.reload("origin")
        nakamura, zwoelf = await worker.predict("origin", ["Nakamura", "Zwoelf"])
        assert nakamura.source == "model"
        assert (zwoelf.source, zwoelf.label) == ("known_name", "Korean")
        await worker.set_agreed("origin", [AgreedInput("p", "Petrov", "Russian")])
        petrova = await worker.predict_one("origin", "Petrova")  # from its masculine form
        assert (petrova.source, petrova.label) == ("known_name", "Russian")
        assert petrova.known is not None and "as Petrov" in petrova.known.text
        with pytest.raises(ValueError, match="answers no known inputs"):
            await worker.set_agreed("sentiment", [])
    async with InferenceWorker(model_dir=tmp_path, device="cpu", threads=1,
                               memory=False) as worker:
        await worker.reload("origin", "origin-20260101-000001")
        assert (await worker.predict_one("origin", "Nakamura")).source == "model"
