"""Persistent components: all their state is in the custom_id, so they outlive restarts.

Each is a discord.py DynamicItem: after a restart, a click on an old message is matched by
its custom_id template and rebuilt from it, with no view kept in memory.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

import discord

from bot.context import admit, bot_of, requester
from bot.deadline import reply, within_deadline
from bot.embeds import why_embed
from bot.errors import NO_MENTIONS, report_error
from bot.present import feedback_line, percent, why_card
from bot.services import Choice

log = logging.getLogger("seqbot.bot")

MAX_OPTIONS = 25  # Discord's limit for a select menu


async def guarded(
    interaction: discord.Interaction,
    handler: Callable[[discord.Interaction], Awaitable[None]],
) -> None:
    """discord.py only logs component errors; send them to the central handler instead."""
    try:
        await handler(interaction)
    except Exception as exc:
        await report_error(interaction, exc)


class VoteButton(discord.ui.DynamicItem[discord.ui.Button],
                 template=r"seqbot:vote:(?P<pred>[0-9]+):(?P<verdict>right|wrong)"):
    """"Right" records a confirmation; "Wrong" asks, privately, for the right label."""

    def __init__(self, pred_id: int, verdict: str) -> None:
        right = verdict == "right"
        super().__init__(discord.ui.Button(
            label="Right" if right else "Wrong",
            emoji="✅" if right else "❌",
            style=discord.ButtonStyle.secondary,
            custom_id=f"seqbot:vote:{pred_id}:{verdict}",
        ))
        self.pred_id = pred_id
        self.verdict = verdict

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> VoteButton:
        return cls(int(match["pred"]), match["verdict"])

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await admit(interaction)

    async def callback(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, self._right if self.verdict == "right" else self._wrong)

    async def _right(self, interaction: discord.Interaction) -> None:
        feedback = bot_of(interaction).services.feedback
        tally = await within_deadline(interaction,
                                      feedback.vote(self.pred_id, requester(interaction)))
        await update_message(interaction, content=feedback_line(tally),
                             allowed_mentions=NO_MENTIONS)
        await interaction.followup.send("Thanks! Your vote is in (voting again replaces it).",
                                        ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _wrong(self, interaction: discord.Interaction) -> None:
        assert interaction.message is not None  # component interactions always carry it
        model_label, choices = await within_deadline(  # the read can queue behind a long one
            interaction, bot_of(interaction).services.feedback.choices(self.pred_id),
            ephemeral=True, thinking=True)  # the menu is private, so is its placeholder
        select = CorrectionSelect.build(self.pred_id, interaction.message.id, choices)
        await reply(interaction, content=f"I said **{model_label}**. What is the right answer?",
                    view=discord.ui.View(timeout=None).add_item(select), ephemeral=True)


class CorrectionSelect(discord.ui.DynamicItem[discord.ui.Select],
                       template=r"seqbot:fix:(?P<pred>[0-9]+):(?P<message>[0-9]+)"):
    """The labels a prediction could have had; picking one records it as the correction."""

    def __init__(self, select: discord.ui.Select, pred_id: int, message_id: int) -> None:
        super().__init__(select)
        self.pred_id = pred_id
        self.message_id = message_id  # the public answer, whose vote count to update

    @classmethod
    def build(cls, pred_id: int, message_id: int, choices: list[Choice]) -> CorrectionSelect:
        if len(choices) > MAX_OPTIONS:  # keep the model's likeliest alternatives
            kept = sorted(choices, key=lambda c: -c.probability)[:MAX_OPTIONS]
            choices = [c for c in choices if c in kept]
        options = [discord.SelectOption(label=c.label, value=c.label,
                                        description=f"I gave it {percent(c.probability)}")
                   for c in choices]
        select = discord.ui.Select(custom_id=f"seqbot:fix:{pred_id}:{message_id}",
                                   placeholder="Pick the right answer", options=options)
        return cls(select, pred_id, message_id)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select, match: re.Match[str]
    ) -> CorrectionSelect:
        return cls(item, int(match["pred"]), int(match["message"]))

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await admit(interaction)

    async def callback(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, self._correct)

    async def _correct(self, interaction: discord.Interaction) -> None:
        label = self.item.values[0]
        feedback = bot_of(interaction).services.feedback
        tally = await within_deadline(
            interaction, feedback.vote(self.pred_id, requester(interaction), label))
        await update_message(
            interaction, content=f"Thanks! You said **{label}** (voting again replaces it).",
            view=None, allowed_mentions=NO_MENTIONS)
        try:
            await interaction.followup.edit_message(self.message_id, content=feedback_line(tally),
                                                    allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:  # deleted meanwhile: the vote still counts
            log.info("could not update the vote count on message %s: %s", self.message_id, exc)


class WhyButton(discord.ui.DynamicItem[discord.ui.Button],
                template=r"seqbot:why:(?P<pred>[0-9]+)"):
    """Shows the clicker, privately, what drove the answer (recomputed from its stored input)."""

    def __init__(self, pred_id: int) -> None:
        super().__init__(discord.ui.Button(label="Why?", emoji="🔍",
                                           style=discord.ButtonStyle.secondary,
                                           custom_id=f"seqbot:why:{pred_id}"))
        self.pred_id = pred_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> WhyButton:
        return cls(int(match["pred"]))

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await admit(interaction)

    async def callback(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, self._explain)

    async def _explain(self, interaction: discord.Interaction) -> None:
        why = await within_deadline(
            interaction, bot_of(interaction).services.explanations.explain(self.pred_id),
            ephemeral=True, thinking=True)
        await reply(interaction, embed=why_embed(why_card(why)), ephemeral=True)


class ForgetButton(discord.ui.DynamicItem[discord.ui.Button],
                   template=r"seqbot:forget:(?P<user>[0-9]+):(?P<answer>yes|no)"):
    """Confirms (or cancels) erasing everything a user contributed."""

    def __init__(self, user_id: int, answer: str) -> None:
        yes = answer == "yes"
        super().__init__(discord.ui.Button(
            label="Erase my data" if yes else "Cancel",
            style=discord.ButtonStyle.danger if yes else discord.ButtonStyle.secondary,
            custom_id=f"seqbot:forget:{user_id}:{answer}",
        ))
        self.user_id = user_id
        self.answer = answer

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> ForgetButton:
        return cls(int(match["user"]), match["answer"])

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await admit(interaction)

    async def callback(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, self._answer)

    async def _answer(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.user_id:
            await interaction.response.send_message("This button is not for you.",
                                                    ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        if self.answer == "no":
            await interaction.response.edit_message(content="Nothing was erased.", view=None,
                                                    allowed_mentions=NO_MENTIONS)
            return
        erased = await within_deadline(
            interaction, bot_of(interaction).services.feedback.forget(self.user_id))
        await update_message(
            interaction, content=f"Done: erased {erased['predictions']} of your questions and "
                                 f"{erased['votes']} of your votes.",
            view=None, allowed_mentions=NO_MENTIONS)


async def update_message(interaction: discord.Interaction, **fields: object) -> None:
    """Edit the message a component is on, whether or not the response was deferred."""
    if interaction.response.is_done():
        await interaction.edit_original_response(**fields)  # type: ignore[arg-type]
    else:
        await interaction.response.edit_message(**fields)  # type: ignore[arg-type]


def feedback_view(pred_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton(pred_id, "right"))
    view.add_item(VoteButton(pred_id, "wrong"))
    view.add_item(WhyButton(pred_id))
    return view


def forget_view(user_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ForgetButton(user_id, "yes"))
    view.add_item(ForgetButton(user_id, "no"))
    return view
