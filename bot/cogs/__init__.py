"""One cog per feature; FEATURES is the order they are added in."""

from bot.cogs.admin import Admin
from bot.cogs.ask import Ask
from bot.cogs.feedback import Feedback
from bot.cogs.meta import Meta
from bot.cogs.privacy import Privacy
from bot.cogs.teach import Teach
from inference.tasks import TASKS

FEATURES = (Ask, Feedback, Privacy, Meta, Admin, Teach)


def slash_commands() -> list[str]:
    """Every top-level slash command the bot declares, read from the cogs' own command tree
    (a group cog's group; the task commands the Ask cog builds from the specs), so the
    console can say which commands exist only on Discord."""
    names = list(TASKS)
    for feature in FEATURES:
        if feature.__cog_is_app_commands_group__:
            names.append(feature.__cog_group_name__)
        else:
            names += [command.name for command in feature.__cog_app_commands__]
    return names


__all__ = ["FEATURES", "slash_commands"]
