"""Normalisation: one spelling per meaning, and folding that never corrupts other words."""
import pytest

from bot.knowledge.schema import Synonyms
from bot.nlu.normalize import Folder, Normalizer, strip_marks, surface
from bot.nlu.vocab import load_vocab
from tests.conftest import KNOWLEDGE

SYNONYMS = Synonyms(
    synonyms={
        "青岛高新区": ["高新技术产业开发区", "高新开发区"],
        "人工智能": ["AI"],
        "干什么": ["干啥", "干嘛"],
        "工研院": ["工研"],
    },
    typos={"园区": ["园去", "園區"], "厂房": ["厂方"], "高新区": ["高新去"]},
)


@pytest.fixture(scope="module")
def norm() -> Normalizer:
    vocab = load_vocab(KNOWLEDGE)
    return Normalizer(SYNONYMS, vocab.fillers, vocab.particles, vocab.keep)


def test_surface_folds_width_script_and_case():
    assert surface("ＡＩ５００㎡") == "ai500m2"
    assert surface("園區廠房") == "园区厂房"
    assert surface("") == ""
    assert surface(None) == ""  # type: ignore[arg-type]


def test_traditional_characters(norm):
    assert norm.normalize("請問園區的廠房租金多少錢") == norm.normalize("园区的厂房租金多少钱")


def test_full_width_letters_digits_and_punctuation(norm):
    assert norm.normalize("ＡＩ企业，５００平？") == "人工智能企业500平"


def test_fillers_and_sentence_final_particles(norm):
    assert norm.normalize("嗯 那个 就是说 请问园区在哪呀") == "园区在哪"
    assert norm.normalize("有优惠吗?好的呢") == "有优惠好的"
    # a particle character inside a word is not a particle
    assert "吗啡" in norm.normalize("吗啡是什么")


def test_typos_fold_before_synonyms(norm):
    assert norm.normalize("园去的厂方") == "园区的厂房"
    assert norm.normalize("高新去") == "高新区"


def test_synonyms_longest_variant_first(norm):
    assert norm.normalize("青岛高新技术产业开发区") == "青岛青岛高新区"
    assert norm.normalize("高新开发区干嘛的") == "青岛高新区干什么的"


def test_canonical_word_is_not_rewritten_by_its_own_variant(norm):
    # 工研 is a variant of 工研院; 工研院 itself must not become 工研院院
    assert norm.normalize("工研院") == "工研院"
    assert norm.normalize("工研") == "工研院"


def test_ascii_variant_only_as_a_whole_word(norm):
    assert norm.normalize("做AI的") == "做人工智能的"
    assert norm.normalize("email地址") == "email地址"


def test_keep_list_protects_words_containing_a_typo():
    folder = Folder({"园区": ["元区"]}, keep=["元区间"])
    assert folder("价格在元区间") == "价格在元区间"
    assert folder("元区") == "园区"


def test_only_punctuation_emoji_and_empty(norm):
    assert norm.normalize("") == ""
    assert norm.normalize("？？！！。。…") == ""
    assert norm.normalize("👍😀") == ""
    assert norm.normalize("]]>") == ""


def test_strip_marks_keeps_letters_and_digits():
    assert strip_marks("a-1 中,文!") == "a1中文"


def test_long_input_is_linear(norm):
    text = "园区厂房" * 1250  # 5000 characters
    assert len(norm.normalize(text)) == 5000


@pytest.mark.parametrize("text, n", [
    ("2", 2), ("１２", 12), ("第一个", 1), ("第一个怎么样", 1), ("看看第2套", 2), ("我要1号", 1), ("选3", 3),
    ("一号", 1), ("一", 1), ("第十二个", 12), ("看一下第三个房源", 3), ("第3个吧", 3),
    ("第一次来青岛", None), ("要5个车位", None), ("100", None), ("第二产业", None), ("2号楼", None), ("", None),
])
def test_a_pick_is_read_only_from_a_message_that_is_nothing_but_the_pick(text, n):
    from bot.nlu.commands import clean
    from bot.nlu.numbers import picked_number

    assert picked_number(clean(text)) == n
