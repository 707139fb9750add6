"""Hyper-parameters, one dataclass per task. The defaults are what the shipped origin weights
used, and the chat model's recipe but for its teacher and epochs (docs/results.md,
"Sentiment on chat: the chat model": `--teacher PREVIOUS --epochs 3`); the shipped sentiment
model is that one continued with `--init CHAT_MODEL --neutral-words --negation-frames
--double-negation --question-frames --said-alone --emoji-kin --epochs 1 --lr 3e-4
--w2v-epochs 0` ("Sentiment: words alone, the shipped model")."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class OriginConfig:
    # model
    emb_dim: int = 64
    hidden: int = 256
    layers: int = 1
    cell: str = "gru"
    dropout: float = 0.25
    emb_dropout: float = 0.1
    # optimisation
    epochs: int = 20
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-4
    patience: int = 5
    label_smoothing: float = 0.0
    # class weight = count ** -power: 0 ignores imbalance, 1 fully balances it. A half
    # power lifts the rare languages without wrecking accuracy on the common ones.
    class_weight_power: float = 0.5
    seed: int = 0  # of the data split
    # another member of an ensemble: the same split, so the same validation data, but its
    # own initialisation and batch order
    member: int = 0


@dataclass
class SentimentConfig:
    # model
    emb_dim: int = 128
    hidden: int = 128
    layers: int = 1
    cell: str = "lstm"
    dropout: float = 0.5
    emb_dropout: float = 0.25
    vocab_size: int = 40000  # the chat mixture's; the IMDB-only models had 30,000
    min_freq: int = 3
    # data: IMDB reviews, plus SST-2 phrases and tweets for chat (training/splits.py,
    # ChatSentiment); off: IMDB only, as the v1 models were trained
    chat_data: bool = True
    # with chat_data: the words SST-2's annotators rated neutral, once with each label, so
    # that "ok" or "sure" read as not sure (training/neutral.py; dataset "chat+neutral")
    neutral_words: bool = False
    # with chat_data: SST-2's short phrases negated in the frames chat negates with, once and
    # twice ("i don't P", "i can't say it wasn't P"), instead of behind "not" alone
    # (training/negation.py; dataset "chat+negation", "chat+neutral+negation")
    negation_frames: bool = False
    # with negation_frames: every word also twice negated, in TWICE frames, not half of them
    # in one (training/negation.py; data sets "chat+...+negation+double")
    double_negation: bool = False
    # with chat_data: SST-2's words that name a quality asked about ("was it P?") and its
    # neutral things asked for ("where can i get the N?"), once with each label, and some
    # qualities exclaimed ("why is it so P?") with their own (training/questions.py; data set
    # "chat+...+questions")
    question_frames: bool = False
    # with chat_data: each word of enough training tweets alone, as often positive as the
    # tweets that hold it are, so that a one-word reply ("ok", "lol") is as sure as the data
    # (training/alone.py; data sets "chat+...+alone")
    said_alone: bool = False
    # with chat_data: each of SST-2's rated words as the verdict of a message that concedes a
    # word of the other label first ("it was A, but B"), with the verdict's label
    # (training/contrast.py; data sets "chat+...+contrast")
    contrast_frames: bool = False
    # with chat_data: each of SST-2's rated words in idioms whose negation does not reverse it
    # ("not gonna lie, P", "couldn't be more P", "nothing but P"), with its own label
    # (training/idioms.py; data sets "chat+...+idioms")
    idiom_frames: bool = False
    # with chat_data: reviewers' advice whose negation keeps its verdict ("don't waste your
    # money", "don't miss it"), with that verdict (training/advice.py; "chat+...+advice")
    advice_frames: bool = False
    # with chat_data: SST-2's rated adjectives compared in counterfactuals and experience,
    # which reverse the comparison ("it could have been more dull"), and plainly, which keeps
    # it (training/comparatives.py; data sets "chat+...+compared")
    comparative_frames: bool = False
    # with chat_data: each emoji and emoticon the tweets are marked with, alone, as often
    # positive as the marked tweets that carry it are, so that a lone emoji is as sure as
    # the Emoji Sentiment Ranking (training/alone.py; data sets "chat+...+emoji_alone")
    emoji_alone: bool = False
    # a vocabulary row for each emoji the model lacks, from the emoji Unicode groups with it,
    # or to learn where training marks tweets with it (training/emoji_kin.py): with init,
    # before training; a new model's, after it, when its rows mean something
    emoji_kin: bool = False
    # continue training this checkpoint (its vocabulary and weights; the model flags must be
    # its own) instead of starting from word2vec: how a mixture change reaches a shipped
    # model without its whole recipe
    init: str = ""
    # word2vec pre-training of the embeddings on train + unlabelled reviews (0 = off)
    w2v_epochs: int = 5
    # with word2vec: GloVe's general-English vectors beside it (glove.6B.zip or one of its
    # .txt files, training/glove.py), in the embeddings' last `glove_dim` dimensions and
    # word2vec in the rest ("Sentiment: general-English word vectors"); "" = word2vec alone
    glove: str = ""
    glove_dim: int = 50
    # language-model pre-training of the embeddings and the bi-LSTM on train + unlabelled
    # reviews, before the classifier trains (0 = off; see training/lm.py)
    lm_epochs: int = 0
    lm_lr: float = 2e-3
    lm_batch_size: int = 64
    lm_dropout: float = 0.1
    # self-training: unlabelled reviews that the teacher checkpoint labels with at least
    # `pseudo_threshold` confidence join the training set. With `self_training_rounds` N,
    # the first model (taught by `teacher` if given) teaches a second, which teaches a
    # third..., each trained for `self_training_epochs`.
    teacher: str = ""
    pseudo_threshold: float = 0.9
    self_training_rounds: int = 0
    self_training_epochs: int = 3
    # optimisation
    # validation is carved from the training movies, so it flatters; a short cosine run that
    # ends annealed generalised better to the test movies than a long one stopped early
    epochs: int = 4
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    patience: int = 2
    label_smoothing: float = 0.0
    seed: int = 0  # of the data split
    # another member of an ensemble: the same split, so the same validation data, but its
    # own initialisation and batch order
    member: int = 0


def training_seed(cfg: OriginConfig | SentimentConfig) -> int:
    """Seeds the weights and the batch order; member 0 keeps the split's seed."""
    return cfg.seed + 7919 * cfg.member
