"""One cog per feature; FEATURES is the order they are added in."""

from bot.cogs.admin import Admin
from bot.cogs.ask import Ask
from bot.cogs.feedback import Feedback
from bot.cogs.meta import Meta
from bot.cogs.privacy import Privacy
from bot.cogs.teach import Teach

FEATURES = (Ask, Feedback, Privacy, Meta, Admin, Teach)

__all__ = ["FEATURES"]
