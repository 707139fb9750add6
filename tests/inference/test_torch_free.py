"""A bot whose models run elsewhere (INFERENCE_URL) never imports torch: the client interface,
its results and errors, and the task specs are torch-free, and the factory imports the
in-process worker only when it builds one. Proven in processes where torch cannot load."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from inference.server import InferenceServer
from tests.helpers import tiny_worker

ROOT = Path(__file__).resolve().parents[2]
# `import torch` raises ImportError in a process that starts with this; at the end it says
# which torch modules were loaded (none, or the import would have failed).
NO_TORCH = "import sys; sys.modules['torch'] = None\n"
REPORT = ("loaded = sorted(m for m, v in sys.modules.items() if m.split('.')[0] == 'torch' "
          "and v is not None)\nprint('torch modules:', loaded, file=sys.stderr)\n")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("SEQBOT_", "DISCORD_", "INFERENCE_"))}
    return {**clean, "PYTHONPATH": str(ROOT), "SEQBOT_DB": str(tmp_path / "chat.db"),
            "SEQBOT_LOG_LEVEL": "WARNING", **extra}


def test_the_blocker_blocks(tmp_path):
    result = subprocess.run([sys.executable, "-c", NO_TORCH + "import inference.worker"],
                            env=_env(tmp_path), cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0 and "torch" in result.stderr


def test_the_client_interface_and_the_bot_import_without_torch(tmp_path):
    code = NO_TORCH + (
        "import inference.http_client, inference.client, inference.results, inference.tasks\n"
        "import inference.errors, inference.factory, inference.explain\n"
        "import bot.cli, bot.services, bot.present, bot.embeds, bot.console, bot.cogs\n"
        "client = inference.factory.make_client('http://127.0.0.1:9')\n"
        "assert isinstance(client, inference.http_client.HttpInferenceClient)\n"
        "assert isinstance(client, inference.client.InferenceClient)\n") + REPORT
    result = subprocess.run([sys.executable, "-c", code], env=_env(tmp_path), cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "torch modules: []" in result.stderr


async def test_the_console_answers_over_http_without_torch(checkpoints, tmp_path):
    async with tiny_worker(checkpoints) as worker:
        server = InferenceServer(worker, port=0, secret="s3cret-0123456789")
        await server.start()
        try:
            code = NO_TORCH + "import runpy\ntry:\n    runpy.run_module('bot', run_name=" \
                "'__main__', alter_sys=True)\nexcept SystemExit as exc:\n    code = exc.code\n" \
                + REPORT + "raise SystemExit(code)\n"
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-c", code, "console", cwd=tmp_path,
                env=_env(tmp_path, INFERENCE_URL=server.url, INFERENCE_SECRET="s3cret-0123456789"),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            lines = "/origin Nakamura\n/why\n/sentiment I loved it!\n/right\n/about\n/quit\n"
            out, err = await asyncio.wait_for(proc.communicate(lines.encode()), 60)
        finally:
            await server.close()
    out, err = out.decode(), err.decode()
    assert proc.returncode == 0, err
    assert "torch modules: []" in err
    assert "Language of origin: Nakamura" in out and "model origin-tiny" in out
    assert "Why " in out and "Read as: " in out  # the explanation came over HTTP
    assert "Sentiment: I loved it!" in out and "Thanks, vote recorded" in out
    assert "origin: origin-tiny" in out  # /about: model information over HTTP
