"""The weights in the package answer correctly out of the box and match their records."""

import pytest

from inference.checkpoint import load_checkpoint
from inference.predictor import Predictor
from inference.registry import shipped_checkpoint
from inference.worker import InferenceWorker
from tests.helpers import real_data
from training.data import clean_name_splits, fingerprint
from training.evaluate import evaluate


@pytest.fixture(scope="module")
def origin() -> Predictor:
    return Predictor.load("origin", shipped_checkpoint("origin"), device="cpu")


@pytest.fixture(scope="module")
def sentiment() -> Predictor:
    return Predictor.load("sentiment", shipped_checkpoint("sentiment"), device="cpu")


@pytest.mark.parametrize(
    ("name", "language"),
    [("Nakamura", "Japanese"), ("Горбачёв", "Russian"), ("Papadopoulos", "Greek"),
     ("Παπαδόπουλος", "Greek"), ("Huynh", "Vietnamese"), ("Rossi", "Italian"),
     ("Schmidt", "German"), ("Kowalski", "Polish"), ("O'Brien", "Irish"), ("Zhang", "Chinese")],
)
def test_origin_answers_clear_cases(origin: Predictor, name: str, language: str) -> None:
    [answer] = origin.predict([name])
    assert answer.label == language, answer.top


@pytest.mark.parametrize(
    ("text", "label"),
    [("I loved this movie!", "positive"), ("What a terrible waste of time.", "negative"),
     ("The acting was wooden and the plot made no sense.", "negative"),
     ("A beautiful, moving story with a brilliant cast.", "positive"),
     ("not good at all", "negative"), ("not bad at all", "positive"),
     ("love it 😍", "positive"), ("my phone died again :(", "negative"),
     # chat as typed: negations without their apostrophe, outer negation, the ranking's emoji
     ("this isnt bad", "positive"), ("it wasnt good", "negative"),
     ("isn't this amazing?", "positive"), ("that was hilarious 😂", "positive"),
     ("this is 🔥", "positive"), ("i love you <3", "positive")],
)
def test_sentiment_answers_clear_cases(sentiment: Predictor, text: str, label: str) -> None:
    [answer] = sentiment.predict([text])
    assert answer.label == label, answer.top


def test_shipped_checkpoints_carry_their_metrics() -> None:
    for task in ("origin", "sentiment"):
        metrics = load_checkpoint(shipped_checkpoint(task)).metrics
        assert {"test_accuracy", "test_macro_f1", "test_ece", "test_n"} <= metrics.keys()


@pytest.mark.slow
@pytest.mark.parametrize(("task", "archive"), [("origin", "names.zip"),
                                               ("sentiment", "aclImdb_v1.tar.gz")])
def test_shipped_weights_reproduce_their_recorded_metrics(task: str, archive: str) -> None:
    recorded = load_checkpoint(shipped_checkpoint(task)).metrics
    metrics = evaluate(task, shipped_checkpoint(task), real_data(archive))
    assert metrics["n"] == recorded["test_n"]
    assert metrics["accuracy"] == recorded["test_accuracy"]
    assert metrics["macro_f1"] == recorded["test_macro_f1"]


def test_shipped_weights_stay_small() -> None:
    """Every committed weight file stays in git history: keep the set under ~25 MB."""
    folder = shipped_checkpoint("origin").parent
    assert sum(p.stat().st_size for p in folder.glob("*.safetensors")) < 25_000_000


def test_the_shipped_origin_model_is_ready_to_serve() -> None:
    """Its known names and not-sure threshold travel in the checkpoint (training/ready.py)."""
    ckpt = load_checkpoint(shipped_checkpoint("origin"))
    assert 0 < ckpt.verdicts["not_sure_below"] < 1
    known = ckpt.metrics["known_inputs"]
    assert len(ckpt.known_inputs) == known["pairs"] > 15_000
    assert fingerprint(sorted(ckpt.known_inputs)) == known["fingerprint"]


@pytest.mark.slow
def test_the_shipped_known_names_are_every_split_of_the_data() -> None:
    ckpt = load_checkpoint(shipped_checkpoint("origin"))
    splits = clean_name_splits(real_data("names.zip"))
    assert set(ckpt.known_inputs) == set(splits.train + splits.val + splits.test)
    assert ckpt.metrics["known_inputs"]["data_fingerprint"] == fingerprint(
        splits.train + splits.val + splits.test)


@pytest.mark.parametrize(("name", "language", "source"), [
    ("Müller", "German", "known_name"), ("Nguyen", "Vietnamese", "known_name"),
    # typed with the accents the data leaves out: answered from Dvorak, Jager, Nguyen, Le
    ("Dvořák", "Czech", "known_name"), ("Jäger", "German", "known_name"),
    ("Nguyễn", "Vietnamese", "known_name"), ("Lê", "Vietnamese", "known_name"),
    ("山田", "Japanese", "model"),
    ("김", "Korean", "model"), ("박", "Korean", "model"), ("محمد", "Arabic", "model"),
    ("Łukasik", "Polish", "model"), ("Gonçalves", "Portuguese", "model"),
    ("司马", "Chinese", "model"),
    # feminine forms the data lacks, answered from Ivanov and Kowalski
    ("Ivanova", "Russian", "known_name"), ("Kowalska", "Polish", "known_name")])
async def test_names_as_people_type_them(name: str, language: str, source: str) -> None:
    """The issue's examples, served as the bot serves them (the worker, with the memory)."""
    async with InferenceWorker(tasks=("origin",), device="cpu", threads=1) as worker:
        answer = await worker.predict_one("origin", name)
    assert (answer.label, answer.source) == (language, source), answer.top


async def test_smith_is_a_known_name_of_three_languages() -> None:
    async with InferenceWorker(tasks=("origin",), device="cpu", threads=1) as worker:
        smith = await worker.predict_one("origin", "Smith")
    assert smith.source == "known_name" and smith.confidence == "not_sure"
    assert smith.known is not None and set(smith.known.labels) == {"English", "Scottish",
                                                                   "Czech"}


def test_the_shipped_sentiment_model_is_calibrated_for_chat() -> None:
    """One model trained in one stage on the chat mixture with SST-2's neutral words, its
    words in chat's negation frames (each also negated twice) and in questions, tweet words
    said alone as sure as the tweets (training/alone.py) and reviewers' advice
    (training/advice.py), taught by the IMDB model, its embeddings from word2vec and GloVe,
    its vocabulary grown after training by the emoji it lacked (training/emoji_kin.py;
    pipeline v5: typos respelt, a question asking agreement read as its statement), then
    calibrated on short-text validation (training/short_text.py): its short-input
    temperature and verdicts travel in the checkpoint; then the rows of its emoji, and
    nothing else, fitted to each emoji alone as sure as the marked tweets
    (training/emoji_rows.py), which leaves every text without them as it was."""
    ckpt = load_checkpoint(shipped_checkpoint("sentiment"))
    assert ckpt.parent == "sentiment-20261205-222649"  # calibrated, from 222542
    assert ckpt.metrics["emoji_rows"] == 261
    assert "init_version" not in ckpt.metrics  # trained from scratch, not continued
    assert ckpt.metrics["teacher_version"] == "sentiment-20261204-054145"
    assert ckpt.metrics["dataset"] == "chat+neutral+negation+double+questions+alone+advice"
    trained_with = ckpt.metrics["hyperparameters"]
    assert trained_with["glove"] and trained_with["glove_dim"] == 50  # 50 is the default too
    assert ckpt.preprocess_version == 5
    assert ckpt.metrics["emoji_kin_rows"] == 550
    assert len(ckpt.vocab) == ckpt.config.vocab_size == 40_000 + 550
    assert {"emo_heart", "emo_wink"} <= set(ckpt.vocab.itos)  # emoticons given their emoji
    assert ckpt.short_temperature["max_tokens"] == 64
    assert 0.5 < ckpt.verdicts["not_sure_below"] < 1
    assert 0 < ckpt.verdicts["unknown_words_at_least"] <= 1


@pytest.mark.parametrize(("text", "confidence"), [
    ("Отличный фильм", "unknown_language"), ("Das Essen war wirklich ausgezeichnet",
                                             "unknown_language"),
    ("I loved this movie!", "sure"), ("terible servise", "sure"),  # two typos: English
    ("is this game hard?", "not_sure"), ("was the finale any good?", "not_sure")])
def test_shipped_sentiment_verdicts_on_chat(sentiment: Predictor, text: str,
                                            confidence: str) -> None:
    [answer] = sentiment.predict([text])
    assert answer.confidence == confidence, (answer.top, answer.confidence)


@pytest.mark.parametrize(("text", "label"), [
    ("it isn't not worth it", "positive"), ("never not fun", "positive"),
    ("you can't not love her", "positive"), ("not that the service wasn't slow", "negative"),
    ("don't waste your money", "negative"), ("i didn't like it", "negative")])
def test_shipped_sentiment_reads_two_negations_as_none(sentiment: Predictor, text: str,
                                                       label: str) -> None:
    """Double negation (training/negation.py, `--double-negation`): the model shipped before
    read these four as one negation, or not sure; one negation still reads as one."""
    [answer] = sentiment.predict([text])
    assert answer.label == label, answer.top


@pytest.mark.parametrize(("text", "label"), [
    ("terible service, never again", "negative"), ("the food was amazng", "positive"),
    ("the acting was increadible", "positive"), ("boring and predictible", "negative")])
def test_shipped_sentiment_reads_typos_as_the_word_meant(sentiment: Predictor, text: str,
                                                         label: str) -> None:
    """Pipeline v4 (inference/spelling.py): without it "the food was amazng" was a coin flip
    leaning negative. Answered as sure, so not as another language either."""
    [answer] = sentiment.predict([text])
    assert (answer.label, answer.confidence) == (label, "sure"), answer.top


@pytest.mark.parametrize(("text", "label"), [
    ("no regrets", "positive"), ("no problems", "positive"), ("not bad at all", "positive"),
    ("i don't love it", "negative"), ("don't waste your money", "negative")])
def test_shipped_sentiment_reads_chat_negations(sentiment: Predictor, text: str,
                                                label: str) -> None:
    """Negation frames (training/negation.py): "no regrets" and "no problems" were coin
    flips, and framing two-word fragments too had turned "don't waste your money" positive."""
    [answer] = sentiment.predict([text])
    assert (answer.label, answer.confidence) == (label, "sure"), answer.top


@pytest.mark.parametrize(("text", "label"), [
    ("don't bother", "negative"), ("don't waste your time", "negative"),
    ("don't miss it", "positive"), ("don't hesitate to buy it", "positive")])
def test_shipped_sentiment_reads_advice_by_its_verdict(sentiment: Predictor, text: str,
                                                       label: str) -> None:
    """Advice (training/advice.py): the model shipped before read "don't bother" as positive
    and "don't miss it" and "don't hesitate to buy it" as coin flips."""
    [answer] = sentiment.predict([text])
    assert (answer.label, answer.confidence) == (label, "sure"), answer.top


@pytest.mark.parametrize(("text", "label"), [("🙏", "positive"), ("✨", "positive"),
                                             ("😒", "negative")])
def test_shipped_sentiment_reads_a_lone_emoji_as_sure_as_its_tweets(sentiment: Predictor,
                                                                    text: str,
                                                                    label: str) -> None:
    """Emoji rows fitted alone (training/emoji_rows.py): 🙏, in 86% positive tweets of the
    Emoji Sentiment Ranking, read "not sure, leaning positive 64%" before."""
    [answer] = sentiment.predict([text])
    assert (answer.label, answer.confidence) == (label, "sure"), answer.top


@pytest.mark.parametrize("text", ["lmaooo 🤣", "the new episode 🤩"])
def test_shipped_sentiment_reads_newer_emoji_by_their_kin(sentiment: Predictor,
                                                          text: str) -> None:
    """🤣 and 🤩 are newer than the Emoji Sentiment Ranking: the model read them as <unk>
    (86% and 76% positive, carried by the words) until its vocabulary grew by their Unicode
    kin (training/emoji_kin.py): 😂 beside 🤣, 😍 beside 🤩."""
    [answer] = sentiment.predict([text])
    assert (answer.label, answer.confidence) == ("positive", "sure"), answer.top
    assert answer.probability > 0.95
