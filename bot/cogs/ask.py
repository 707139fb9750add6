"""/origin, /sentiment, ...: one slash command per task spec (and a message menu where the spec
names one, e.g. "Analyze sentiment"), each answered with a prediction and its vote buttons."""

# No `from __future__ import annotations`: discord.py reads the option's length limit from the
# annotation, which is built from the spec when the command is.

import discord
from discord import app_commands
from discord.ext import commands

from bot.context import on_behalf_of
from bot.cooldowns import ml_cooldown
from bot.errors import NO_MENTIONS
from bot.replies import answer_prediction
from inference.tasks import SPECS, TASKS, TaskSpec

# The tasks as the choices of a command's `task` option (/admin reload, /teach).
TASK_CHOICES = [app_commands.Choice(name=task, value=task) for task in TASKS]


def ask_command(spec: TaskSpec) -> app_commands.Command:
    """/<task> <option>: the input, up to the spec's max_chars, answered by the task's model."""

    @app_commands.command(name=spec.name, description=spec.command.description)
    @app_commands.rename(text=spec.command.option)
    @app_commands.describe(text=spec.command.option_help)
    @ml_cooldown
    async def ask(interaction: discord.Interaction,
                  text: app_commands.Range[str, 1, spec.max_chars]) -> None:
        await answer_prediction(interaction, spec.name, text)

    return ask


def message_menu(spec: TaskSpec, name: str) -> app_commands.ContextMenu:
    """A message's context menu entry that answers the task on the message's text."""

    @ml_cooldown
    async def analyze(interaction: discord.Interaction, message: discord.Message) -> None:
        if not message.content.strip():
            await interaction.response.send_message(
                "That message has no text I can read.", ephemeral=True,
                allowed_mentions=NO_MENTIONS)
            return
        on_behalf_of(interaction, message.author)  # their words: their /forget-me erases them
        await answer_prediction(interaction, spec.name, message.content)

    return app_commands.ContextMenu(name=name, callback=analyze)


class Ask(commands.Cog):
    """discord.py declares a cog's commands in its class body; these come from the task specs,
    so the cog adds them to the tree itself."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.asks = [ask_command(spec) for spec in SPECS.values()]
        self.menus = [message_menu(spec, spec.command.message_menu) for spec in SPECS.values()
                      if spec.command.message_menu]

    async def cog_load(self) -> None:
        for command in [*self.asks, *self.menus]:
            self.bot.tree.add_command(command)

    async def cog_unload(self) -> None:
        for ask in self.asks:
            self.bot.tree.remove_command(ask.name)
        for menu in self.menus:
            self.bot.tree.remove_command(menu.name, type=menu.type)
