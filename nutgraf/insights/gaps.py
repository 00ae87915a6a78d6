"""Story gaps: what readers asked that the story left unanswered, the list an editor acts on
(update the story, write a follow-up); and the answers readers rated badly."""

from __future__ import annotations

from datetime import datetime

from ..records import Feedback, QuestionGroup
from ..store import Store

# A group is a gap when at least half of its asks got "the article does not say" or only the
# closest sentence. A group answered most of the time is a wording that was missed now and
# then, not something the story lacks.
GAP_SHARE = 0.5
BAD_RATINGS = ("not_helpful", "wrong_citation")


def story_gaps(store: Store, article_id: str | None, limit: int) -> list[QuestionGroup]:
    """The gaps of one article (or of every article) over all the log holds, most asks left
    unanswered first."""
    return store.question_groups(article_id, rank="unanswered", min_unanswered_share=GAP_SHARE, limit=limit)


def rated_badly(store: Store, article_id: str | None, since: datetime | None, limit: int) -> list[Feedback]:
    """The answers readers rated "not helpful" or "wrong citation", newest first."""
    return store.feedback(since, limit, article_id=article_id, ratings=BAD_RATINGS)
