"""One cog per feature; FEATURES is the order they are added in."""

from bot.cogs.admin import Admin
from bot.cogs.feedback import Feedback
from bot.cogs.meta import Meta
from bot.cogs.origin import Origin
from bot.cogs.privacy import Privacy
from bot.cogs.sentiment import Sentiment
from bot.cogs.teach import Teach

FEATURES = (Origin, Sentiment, Feedback, Privacy, Meta, Admin, Teach)

__all__ = ["FEATURES"]
