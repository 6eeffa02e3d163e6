"""A running bot's reload checks what ``parkbot kb check`` checks: an edit kb check rejects is
refused, the last good version keeps serving (and stays the kept copy), warnings show on /admin."""
from __future__ import annotations

from bot import create_app
from bot.knowledge.loader import load_knowledge
from tests.conftest import KNOWLEDGE
from tests.test_admin import TOKEN, login
from tests.test_knowledge import edit, kdir  # noqa: F401  (fixture)


def steal(kdir):
    kb = load_knowledge(KNOWLEDGE)
    victim, thief = kb.faqs[0], kb.faqs[5]
    edit(kdir / "faq.yaml", f"id: {thief.id}\n    questions:\n",
         f"id: {thief.id}\n    questions:\n      - {victim.questions[0]}\n")
    return victim, thief


def _holder(kdir, last_good):
    from bot import _understanding, _validate, _warnings
    from bot.knowledge.holder import KnowledgeHolder

    return KnowledgeHolder(kdir, interval=0, builders={"nlu": _understanding},
                           last_good=last_good, validate=_validate, warn=_warnings)


def test_an_edit_kb_check_rejects_is_refused_and_not_kept_as_last_good(kdir, tmp_path):
    holder = _holder(kdir, tmp_path / "last-good")
    good = holder.current().version
    victim, thief = steal(kdir)
    from bot.knowledge.check import check

    assert check(kdir)  # what kb check says…
    assert holder.current().version == good  # …the reload says too
    assert victim.id in holder.last_error and thief.id in holder.last_error
    assert victim.questions[0] not in holder.current().faq_by_id[thief.id].questions
    # a worker (re)started now serves the last good copy, not the stealing edit
    restarted = _holder(kdir, tmp_path / "last-good")
    assert restarted.current().version == good and victim.id in restarted.last_error


def test_the_refused_edit_shows_on_the_admin_page(kdir, app_config, redis_client):
    app = create_app({**app_config, "KNOWLEDGE_DIR": str(kdir), "KNOWLEDGE_CHECK_INTERVAL": 0, "ADMIN_TOKEN": TOKEN})
    good = app.extensions["parkbot.knowledge"].current().version
    victim, thief = steal(kdir)
    web = app.test_client()
    login(web)
    page = web.get("/admin/").get_data(as_text=True)
    assert "最近一次修改未生效" in page and thief.id in page and good in page


def test_warnings_show_on_the_admin_page_and_in_kb_check(kdir, app_config, redis_client):
    kb = load_knowledge(KNOWLEDGE)
    demo = [x for x in kb.listings if x.demo]
    assert demo, "the shipped knowledge has demo listings (the article has no unit sizes)"
    app = create_app({**app_config, "KNOWLEDGE_DIR": str(kdir), "ADMIN_TOKEN": TOKEN})
    web = app.test_client()
    login(web)
    page = web.get("/admin/").get_data(as_text=True)
    assert 'id="kb-warnings"' in page and demo[0].id in page and "demo" in page
    result = app.test_cli_runner().invoke(args=["kb", "check", str(kdir)])
    assert result.exit_code == 0 and "warning: listings.yaml:" in result.output
