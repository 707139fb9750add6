"""Hostile and odd input through the models, in-process and over HTTP: random Unicode, zalgo,
RTL overrides, zero-width and control characters, NUL, 6,000-character strings, mentions,
markdown and SQL. Each input is answered (verbatim as its `input`) or politely refused with
an InputError; the HTTP service gives the worker's answers, and no body makes it fail (5xx).

The strategies (tests/helpers.py) are shared with tests/acceptance/test_hostile_bot.py.
"""

from __future__ import annotations

import json
import re

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from inference.errors import InputError
from inference.http_client import HttpInferenceClient
from inference.server import SECRET_HEADER, InferenceServer
from inference.tasks import ORIGIN, TASKS
from inference.text import MAX_TEXT_CHARS
from tests.helpers import HYPOTHESIS, hostile_text

REFUSALS = {
    "Names can be at most 64 characters long.", "That name has no letters I can read.",
    "That text has no words I can read.", ORIGIN.command.mention_error,
}


@pytest.fixture
async def service(worker):
    server = InferenceServer(worker, port=0, secret="s3")
    await server.start()
    try:
        yield server
    finally:
        await server.close()


def check_answer(task: str, text: str, result: object) -> None:
    if isinstance(result, InputError):
        assert str(result) in REFUSALS
        return
    assert result.input == text and result.task == task
    assert result.normalized.isascii() and result.normalized.isprintable()
    if task == "origin":
        assert not result.truncated
    elif len(text) > MAX_TEXT_CHARS:
        assert result.truncated
    assert abs(sum(p for _, p in result.top) - 1) < 1e-4  # every label, as the bot asks
    assert result.label == result.top[0][0]


@HYPOTHESIS
@given(text=hostile_text, task=st.sampled_from(tuple(TASKS)))
async def test_the_worker_answers_or_refuses(worker, text, task):
    try:
        result = await worker.predict_one(task, text, top_k=100)
    except InputError as exc:
        result = exc
    check_answer(task, text, result)


@HYPOTHESIS
@given(texts=st.lists(hostile_text, min_size=1, max_size=4), task=st.sampled_from(tuple(TASKS)))
async def test_the_service_gives_the_workers_answers(worker, service, texts, task):
    async with HttpInferenceClient(service.url, "s3") as client:
        over_http = await client.predict(task, texts, top_k=100)
    in_process = await worker.predict(task, texts, top_k=100)
    for text, got, want in zip(texts, over_http, in_process, strict=True):
        check_answer(task, text, got)
        if isinstance(want, InputError):
            assert str(got) == str(want)
        else:
            assert (got.input, got.normalized, got.label) == (want.input, want.normalized,
                                                              want.label)


@HYPOTHESIS
@given(text=hostile_text, task=st.sampled_from(tuple(TASKS)))
async def test_explanations_answer_or_refuse_like_predictions(worker, service, text, task):
    try:
        explained = await worker.explain_one(task, text, top_k=100)
    except InputError as exc:
        check_answer(task, text, exc)
        with pytest.raises(InputError, match=re.escape(str(exc))):
            await worker.predict_one(task, text)
        return
    check_answer(task, text, explained.prediction)
    assert explained.prediction.label == (await worker.predict_one(task, text)).label
    assert all(0 <= part.start < part.start + part.length <= len(explained.units)
               for part in explained.parts)
    async with HttpInferenceClient(service.url, "s3") as client:
        over_http = await client.explain_one(task, text)
    assert [(p.start, p.length) for p in over_http.parts] == [
        (p.start, p.length) for p in explained.parts]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=12)
bodies = st.one_of(
    st.binary(max_size=512),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"inputs": json_values}, optional={"top_k": json_values,
                                                             "task": json_values})
    .map(lambda v: json.dumps(v).encode()),
)


@HYPOTHESIS
@given(body=bodies, path=st.sampled_from(["/v1/origin", "/v1/sentiment", "/v1/reload",
                                          "/v1/rollback", "/v1/explain/origin",
                                          "/v1/explain/sentiment"]),
       secret=st.sampled_from(["s3", "wrong", None]))
async def test_no_body_makes_the_service_fail(service, body, path, secret):
    headers = {SECRET_HEADER: secret} if secret else {}
    async with aiohttp.ClientSession(headers=headers) as http, \
            http.post(service.url + path, data=body) as response:
        answer = await response.json()
    if secret != "s3":
        assert response.status == 401
    else:
        assert response.status in (200, 400, 409)
    assert response.status == 200 or isinstance(answer["error"], str)
