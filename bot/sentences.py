"""The sentences each part of the bot says from ``knowledge/messages.yaml``: one explicit list.

The conversation's own keys are declared by the dialogue's modules, which the route table imports. The
parts on the top floor (answering, the leads' notices, the staff desk, ``/wechat``, ``/chat``, ``/admin``)
have theirs here, as plain data the parts themselves read (``LABEL_KEYS``, ``ADMIN_KEYS`` ...), so this
module loads no Flask, wechatpy or Redis: ``kb test`` checks every part's sentences without them.

Start-up, every reload, ``kb check`` and ``kb test`` call :func:`declare_every_part` before they check the
knowledge, so a key the admin deleted is caught the same way each time — never passed at start-up because
the module that needs it happened to be imported later, then refused at the next reload.
"""
from __future__ import annotations

from .form_spec import FORM
from .knowledge.messages import declare
from .store.lead_terms import STAGES, STATUSES

# --- answering (bot/answering.py): the reply when the store cannot be reached ----------------------------
ANSWERING_KEYS = ("store_down",)

# --- the leads' notices and export (bot/leads/) ---------------------------------------------------------
# a form field is labelled as the form labels it (field_need ...); the need's parts have their own
LABEL_KEYS = {slot: (FORM.by_name[slot].label_key if slot in FORM.by_name else f"leads_label_{slot}")
              for slot in FORM.lead_fields}
CHANNEL_KEYS = {channel: f"leads_channel_{channel}" for channel in ("wechat", "web", "cli")}
STATUS_KEYS = tuple(f"leads_status_{s}" for s in STATUSES)
NOTICE_KEYS = (  # bot/leads/render.py: the WeCom and e-mail notices
    "leads_title_lead", "leads_title_handoff", "leads_label_number", "leads_label_listings",
    "leads_label_transcript", "leads_label_source", "leads_label_time", "leads_label_user",
    "leads_who_user", "leads_who_bot", "leads_value_empty", "leads_truncated", "leads_handoff_hint",
    "leads_label_channel", "leads_label_first_source", "leads_handoff_link", *CHANNEL_KEYS.values(),
    "leads_title_reminder", "leads_label_repeat", "leads_repeat", "leads_unassigned", "leads_label_assignee",
    *LABEL_KEYS.values(),
)
EXPORT_KEYS = (  # bot/leads/export.py: the CSV's header and values
    "leads_label_number", "leads_label_status", "leads_label_time", "leads_label_source",
    "leads_label_channel", "leads_label_first_source",
    "leads_label_listings", "leads_label_transcript", "leads_who_user", "leads_who_bot",
    *LABEL_KEYS.values(), *STATUS_KEYS,
)
EMAIL_KEYS = ("leads_email_subject_lead", "leads_email_subject_handoff")  # bot/leads/channels/email.py

# --- the staff desk (bot/takeover.py) -------------------------------------------------------------------
# WeChat's error codes a refused customer-service message is explained by (desk_errcode_<code>)
KNOWN_ERRORS = (45015, 45047, 48001, 40003, 43004, 45009, 40001)
TAKEOVER_KEYS = (
    "takeover_notice", "takeover_released", "takeover_idle_released",
    "desk_unknown_user", "desk_not_taken", "desk_not_open", "desk_window_closed", "desk_text_empty",
    "desk_text_long", "desk_bad_json", "desk_no_api", "desk_network", "desk_errcode",
    *(f"desk_errcode_{code}" for code in KNOWN_ERRORS),
)

# --- /wechat (bot/web/wechat.py) ------------------------------------------------------------------------
WECHAT_KEYS = ("unsupported",)

# --- /chat (bot/web/chat.py) ----------------------------------------------------------------------------
WEB_CHAT_KEYS = (
    "store_down", "webchat_title", "webchat_placeholder", "webchat_send", "webchat_menu_button",
    "webchat_menu_text", "webchat_open_link", "webchat_empty", "webchat_too_long", "webchat_bad_request",
    "webchat_wrong_type", "webchat_forbidden", "webchat_network_error", "webchat_retry", "webchat_send_failed",
)

# --- /admin (bot/web/admin/): the admin page's own block of messages.yaml ----------------------------------
ADMIN_KEYS = (
    "admin_title", "admin_login_title", "admin_login_token", "admin_login_submit", "admin_login_required",
    "admin_login_wrong", "admin_login_throttled", "admin_logged_out", "admin_logout", "admin_unauthorized",
    "admin_csrf_bad", "admin_bad_status", "admin_unknown_lead", "admin_unknown_dead", "admin_bad_json",
    "admin_bad_limit", "admin_store_down", "admin_done_status", "admin_done_requeue",
    "admin_section_stats", "admin_section_funnel", "admin_section_leads", "admin_section_unanswered",
    "admin_section_dead", "admin_section_knowledge", "admin_stat_total", "admin_stat_outbox", "admin_stat_dead",
    "admin_funnel_stage", "admin_funnel_total", "admin_funnel_today", "admin_funnel_days",
    *(f"admin_funnel_{s}" for s in STAGES), "admin_filter_all", "admin_export_csv",
    "admin_leads_empty", "admin_col_actions", "admin_change_status",
    "admin_back", "admin_detail_title", "admin_erased", "admin_none", "admin_unanswered_text",
    "admin_unanswered_count", "admin_unanswered_last", "admin_unanswered_empty", "admin_dead_time",
    "admin_dead_job", "admin_dead_channel", "admin_dead_attempts", "admin_dead_error", "admin_dead_requeue",
    "admin_dead_empty", "admin_kb_version", "admin_kb_loaded", "admin_kb_error", "admin_kb_ok",
    "admin_error_title",
    # accounts and sign-in
    "admin_login_name", "admin_login_password", "admin_login_hint", "admin_signed_in_as", "admin_who_token",
    "admin_who_api",
    # search, filters, paging
    "admin_search_label", "admin_search_placeholder", "admin_search_submit", "admin_filter_status",
    "admin_filter_source", "admin_filter_assignee", "admin_filter_unassigned", "admin_filter_from",
    "admin_filter_to", "admin_filter_sort", "admin_sort_-created", "admin_sort_created", "admin_sort_company",
    "admin_sort_status", "admin_sort_assignee", "admin_filter_reset", "admin_leads_found", "admin_page_prev",
    "admin_page_next", "admin_page_of", "admin_bad_date", "admin_bad_range", "admin_bad_page",
    "admin_bad_per_page", "admin_bad_sort", "admin_bad_query", "admin_bad_source", "admin_bad_assignee",
    # one lead
    "admin_overdue", "admin_repeat", "admin_repeat_none", "admin_label_assignee", "admin_assign",
    "admin_unassigned", "admin_section_notes", "admin_note_placeholder", "admin_note_add", "admin_notes_empty",
    "admin_section_history", "admin_history_empty", "admin_history_status", "admin_history_assignee",
    "admin_listing_gone", "admin_listing_open", "admin_done_assign", "admin_done_note", "admin_bad_note",
    "admin_bad_patch", "admin_nothing_changed", "admin_transcript_count",
    # unanswered questions
    "admin_unanswered_7d", "admin_unanswered_30d", "admin_unanswered_state", "admin_unanswered_open",
    "admin_unanswered_resolved", "admin_unanswered_dismissed", "admin_unanswered_resolve",
    "admin_unanswered_dismiss", "admin_unanswered_reopen", "admin_unanswered_faq", "admin_unanswered_closed",
    "admin_unknown_question", "admin_bad_faq", "admin_done_unanswered",
    # numbers
    "admin_section_numbers", "admin_chart_per_day", "admin_chart_per_source", "admin_chart_empty",
    "admin_chart_day_title", "admin_chart_source_title", "admin_source_unknown", "admin_section_form_funnel",
    "admin_form_field", "admin_form_reached", "admin_form_left", "admin_form_left_share", "admin_form_confirm",
    "admin_kb_warnings",
)
# the sentences the admin page borrows: a lead's labels and statuses as the notices and the form say them
ADMIN_BORROWED_KEYS = (
    "leads_label_user", "leads_who_user", "leads_who_bot", "leads_label_number", "leads_label_time",
    "leads_label_status", "leads_label_source", "leads_label_listings", "leads_label_transcript",
    *LABEL_KEYS.values(), *STATUS_KEYS,
    *(f"field_{s}" for s in ("need", "industry", "tax", "company", "contact", "phone")),
)

# --- /admin/conversations (bot/web/admin_conversations.py): the staff desk's page ------------------------
DESK_PAGE_KEYS = (
    "desk_nav", "desk_title", "desk_waiting", "desk_taken", "desk_released", "desk_state_bot", "desk_take",
    "desk_release", "desk_send", "desk_reply_label", "desk_open_label", "desk_open_submit", "desk_recent",
    "desk_handoffs_empty", "desk_recent_empty", "desk_col_user", "desk_col_state", "desk_col_since",
    "desk_col_last", "desk_channel_web", "desk_channel_wechat", "desk_window_until", "desk_window_passed",
    "desk_window_web", "desk_who_staff", "desk_done_take", "desk_done_send", "desk_done_release",
    "desk_alarm_none", "desk_alarm_failing", "desk_empty_transcript", "desk_taken_hint", "desk_idle_hint",
)

# every part on the top floor, by the name a missing key is reported with
TOP_FLOOR = (
    ("answering", ANSWERING_KEYS),
    ("leads", NOTICE_KEYS + EXPORT_KEYS + EMAIL_KEYS),
    ("takeover", TAKEOVER_KEYS),
    ("admin", ADMIN_KEYS + ADMIN_BORROWED_KEYS + DESK_PAGE_KEYS),
    ("web chat", WEB_CHAT_KEYS),
    ("wechat", WECHAT_KEYS),
)


def declare_every_part() -> None:
    """Declare the keys of every part: the conversation's (its modules, through the table) and the top floor's."""
    from .dialogue import table  # noqa: F401  (the dialogue's modules declare their keys on import)

    for owner, keys in TOP_FLOOR:
        declare(*keys, owner=owner)
