"""The support module's own promise: `drained` returns only once the bot has done what follows."""

from __future__ import annotations

from tests.support import BotUnderTest, drained, file_ticket, posts_for


def test_drained_waits_for_the_paced_posts_of_a_new_ticket(bot: BotUnderTest, channel: str) -> None:
    file_ticket(bot)  # its card and acknowledgement share the channel, so the second waits its turn
    drained(bot)
    assert bot.sql("SELECT kind FROM outbox WHERE state = 'pending'") == []
    assert posts_for(bot.slack, 1) == {"card": 1, "ack": 1, "mirror": 1}
