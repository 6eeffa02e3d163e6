"""How sure a reading of a command must be, and which reader may decide it where: the scores of the
word lists, the share the command model gets, and the per-context exceptions (a form's question
expects an answer; the confirmation step throws a form away only when told in words).

Numbers and tables only; commands.py applies them.
"""
from __future__ import annotations

EXACT = 100.0  # the whole message is one of the intent's words
CONTAINS = 92.0  # the message contains one of its phrases
COVER_BASE, COVER_SPAN = 60.0, 40.0  # the intent's words inside a longer message: by the share they cover
FUZZY_FLOOR = 50.0  # ratios below this are not worth keeping
COVER_TOP = 99.9  # a message wholly an intent's words reads just below one of its exact wordings
ACCEPT = 80.0  # weighted score a message needs to be read as a command at all
# the context of a form prompt is "prompt:<field>"; its plausibility row is "prompt"
# with the command model: a message the word lists read at CONTAINS or better keeps that reading;
# otherwise each plausible intent scores RULE_SHARE of its weighted word-list score plus the rest
# of the model's probability for it among the intents plausible here and "no command" (x 100),
# and the best is a command at FUSED_ACCEPT, or when the word lists picked it too. Chosen by
# 5-fold cross-validation (scripts/cv_commands.py, with the model's sharpness 6: word lists 89.5 %,
# fused 92.2 % leaving out knowledge, 91.7 % leaving out labelled commands; flat around it).
RULE_SHARE, FUSED_ACCEPT = 0.3, 50.0
# how much likelier than the model says "no command" is in a context: a form's question expects an
# answer (「孙工」 is a name there, not a call for 人工); neutral in cross-validation, it keeps the
# form's labelled answers (tests/data/form_answers*.yaml) read as answers against a model as sharp
# as this one (「Siemens」 a company, 「不想给」 the phone question asked again)
NO_COMMAND = {"prompt": 100.0}
# intents the model alone does not decide in a context, the word lists must read them too: at a
# form's question 「不知道」「不想给」 are answers the form reads (unknown, asked again), not 跳过 or
# 什么意思; at the confirmation step cancelling or restarting throws the filled form away; and an
# assent (「可以的呀」) submits only where a form waits for it; thanks and who-are-you mid-form are said in words;
# after a listing, cancelling is said in words too (「我不想看更多了」「还不想登记」 cancel nothing there; at idle
# the model keeps it: 「不搞了」「算球了」 are how people call off what they asked for)
WORD_LISTS_ONLY = {"prompt": frozenset({"skip", "explain", "confirm", "thanks", "identity"}),
                   "confirm": frozenset({"cancel", "restart"}), "idle": frozenset({"confirm"}),
                   "list_shown": frozenset({"cancel"}), "listing_details": frozenset({"cancel"})}
# ... nor in any context, deleting someone's data unless the message has a word for erasing (the
# ``erase`` words of intents.yaml: 「删我数据」 asks it, 「重复的消息」 is no 删除我的信息)
MODEL_NEEDS_WORDS = {"forget_me": "erase"}
# a question needs this much more to be read as a command by the model (「取消订单怎么操作」 asks)
QUESTION_MARGIN = 10.0
# ... but at a form's question the model may explain what it asks when the message asks something
# (「需求指的啥」; 「不知道」 asks nothing and stays the answer "unknown"), and skip when it is this sure
# (「不太方便讲,跳」; 「不想给」, which the phone question asks again about, stays short of it)
PROMPT_MODEL = {"explain": 0.0, "skip": 85.0}
# a question about what follows a command (「登记完多久有人联系」「取消的话要交违约金吗」) asks something,
# it does not give the command: a message that asks and has one of the ``asks_about`` words
# (intents.yaml) is no command, unless it is wholly one of the intent's words. Intents that are
# themselves questions (什么意思, 你是谁, 有哪些房源, 还有吗) stay what they are
ASKING_INTENTS = frozenset({"explain", "identity", "listings", "more"})
# intents whose every wording is a question: the model needs no QUESTION_MARGIN for them
QUESTION_INTENTS = frozenset({"explain", "identity"})
# intents people ask for with a question (「什么意思」「怎么登记」): where the model reads such a message as no
# command, the word lists' reading of it still stands (for the others a question the model takes for no
# command, 「第二个带装修吗」, is one)
ASKED_FOR = QUESTION_INTENTS | {"lead"}
# what is said around a command rather than as one: a clause of these (「您好,…」「…,谢谢」) does not
# make the message that command
COURTESY = frozenset({"greeting", "thanks"})
# intents a negation turns into their opposite or into nothing (「别提交」「没想登记」「不要人工」); in
# the others' words a 没 or 不 says something else (「接上回没填完的」 continues)
NEGATABLE = frozenset({"confirm", "lead", "handoff", "modify", "interest", "restart", "more", "forget_me"})
# intents whose words are negations themselves (不用, 不登记, 不填): a 不 at their start negates no other intent
NEGATIVE = frozenset({"deny", "cancel", "skip"})
# intents as often said with a negation as without (「信息没有错」 confirms, 「行业填的不准确」 corrects): a reading of
# them with none of their words is not taken for negated because the message negates something
SAID_NEGATIVELY = frozenset({"confirm", "modify"})
CONTEXTS = ("idle", "list_shown", "listing_details", "resume", "prompt", "confirm")
# a reading that goes on with the form against one that ends it: when a message has the words of both
# (「不填了,全部作废」「上回的不要了」), the model weighs in rather than the first word list that fits;
# tried for every pair of intents, it cost more readings than it won (the word lists are right more often)
# erasing one's data against going on or stopping (「把我信息全删了,不填了」): the model, which has the erase
# words to go by (MODEL_NEEDS_WORDS), weighs in
RIVALS = {"skip": ("cancel", "forget_me"), "cancel": ("forget_me",), "affirm": ("deny", "cancel")}
# a question at a form's question whose words lean this much to 什么意思 (its ``keywords`` cover part of
# it: 「要不要写全称」) asks what the question means, even below ACCEPT
EXPLAIN_LEAN = 65.0
