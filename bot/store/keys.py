"""The one place Redis key names are made.

Per-user keys carry the OpenID as a hash tag (``parkbot:{openid}:field``) so that every key
of one user lives in one Redis Cluster slot and a MULTI/Lua over them stays legal. Keys shared
by all users (leads, outbox, counters) share the ``{leads}`` tag for the same reason.
"""
from __future__ import annotations

PREFIX = "parkbot"


class Keys:
    def __init__(self, prefix: str = PREFIX):
        self.prefix = prefix

    # per user -----------------------------------------------------------------
    def user(self, openid: str, field: str) -> str:
        return f"{self.prefix}:{{{openid}}}:{field}"

    def state(self, openid: str) -> str:
        return self.user(openid, "state")

    def lock(self, openid: str) -> str:
        return self.user(openid, "lock")

    def transcript(self, openid: str) -> str:
        return self.user(openid, "transcript")

    def dedup(self, openid: str, message_key: str) -> str:
        return self.user(openid, f"dedup:{message_key}")

    def location(self, openid: str) -> str:
        return self.user(openid, "location")

    def campaign(self, openid: str) -> str:
        return self.user(openid, "campaign")

    def takeover(self, openid: str) -> str:
        """Who has the conversation: the bot, or a person (waiting / taken / released)."""
        return self.user(openid, "takeover")

    def user_keys(self, openid: str) -> list[str]:
        """Every per-user key that erasing a user deletes, by name (no SCAN: legal and cheap on a Cluster).

        A feature that keeps something new per user adds its key here (a test checks that every
        per-user key method is listed). Not listed: the lock, which the erasing message holds, and
        the retry cache (``dedup``), one key per message that expires ``DEDUP_TTL`` after it.
        """
        return [self.state(openid), self.transcript(openid), self.location(openid), self.campaign(openid),
                self.takeover(openid)]

    # shared: leads and their delivery ------------------------------------------
    def shared(self, field: str) -> str:
        return f"{self.prefix}:{{leads}}:{field}"

    def lead(self, number: str) -> str:
        return self.shared(f"lead:{number}")

    def lead_keys(self, number: str) -> dict[str, str]:
        """Every key kept per lead, by role: what a backup carries (``parkbot leads export --jsonl``).

        A feature that keeps something new per lead (notes, history…) adds its key here, and
        backup and restore carry it. ``lead`` is the lead's hash, with every field it has.
        """
        return {"lead": self.lead(number), "notes": self.lead_notes(number), "history": self.lead_history(number)}

    def lead_notes(self, number: str) -> str:
        """Staff notes on a lead (a list, oldest first)."""
        return self.shared(f"notes:{number}")

    def lead_history(self, number: str) -> str:
        """Who changed a lead's status or assignee, and when (a list)."""
        return self.shared(f"history:{number}")

    def lead_prefix(self) -> str:
        """What :meth:`lead` puts before the number, for the submit script that makes the number."""
        return self.shared("lead:")

    def lead_seq(self, day: str) -> str:
        return self.shared(f"seq:{day}")

    def lead_index(self) -> str:
        return self.shared("index")

    def lead_status(self, status: str) -> str:
        return self.shared(f"status:{status}")

    def lead_same(self, digest: str) -> str:
        """The leads with one phone or one company (a digest of it: no personal data in key names)."""
        return self.shared(f"same:{digest}")

    def lead_same_marker(self) -> str:
        """Set once the leads before :meth:`lead_same` existed were filed under it."""
        return self.shared("same-filed")

    def lead_form(self, form_id: str) -> str:
        return self.shared(f"form:{form_id}")

    def lead_source(self, source: str) -> str:
        return self.shared(f"source:{source}")

    def lead_sources(self) -> str:
        return self.shared("sources")

    def user_leads(self, openid: str) -> str:
        # in the {leads} slot, not the user's, so submit can update it in the same script
        return self.shared(f"user:{openid}")

    def handoff_dedup(self, dedup_key: str) -> str:
        return self.shared(f"handoff:{dedup_key}")

    def outbox(self) -> str:
        return self.shared("outbox")

    def dead_letters(self) -> str:
        return self.shared("dead")

    def retry_schedule(self) -> str:
        return self.shared("retry")

    def job_state(self, job: str) -> str:
        return self.shared(f"job:{job}")

    def job_lease(self, job: str) -> str:
        return self.shared(f"lease:{job}")

    def delivered(self, job: str, channel: str) -> str:
        return self.shared(f"sent:{job}:{channel}")

    def rate(self, name: str) -> str:
        return self.shared(f"rate:{name}")

    def channel_health(self, channel: str) -> str:
        """When a staff channel last delivered and since when it has been failing."""
        return self.shared(f"health:{channel}")

    def funnel(self, field: str) -> str:
        return self.shared(f"funnel:{field}")

    # staff takeover: conversations waiting for or held by a person -------------
    def handoffs(self, field: str) -> str:
        return f"{self.prefix}:{{handoffs}}:{field}"

    # understanding: questions the bot could not answer -------------------------
    def unanswered(self, field: str) -> str:
        return f"{self.prefix}:{{unanswered}}:{field}"

    # the knowledge check's verdict per knowledge version ------------------------
    def knowledge(self, field: str) -> str:
        return f"{self.prefix}:{{knowledge}}:{field}"

    # WeChat API access token shared by every worker -----------------------------
    def wechat(self, field: str) -> str:
        return f"{self.prefix}:{{wechat}}:{field}"
