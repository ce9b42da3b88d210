"""Prompts in the scripts read by their own letters (Arabic, Persian, Urdu, Hebrew, Hindi,
Bengali, Chinese, Japanese, Korean, Thai) and the Latin-script languages beside them in
lexicon_data/world.json (Indonesian, Vietnamese, Tagalog, Swahili): what they block, and
the everyday sentences and look-alike words that must not trigger."""

from __future__ import annotations

import re

import pytest

from mediaproof.screening import rules
from mediaproof.screening.engine import Screener
from mediaproof.screening.normalize import (
    normalize,
    own_script_coded,
    own_script_decoded,
)
from mediaproof.screening.people import PeopleIndex, Person, skeleton
from mediaproof.screening.seeds import builtin

KARIMI = Person("official:t:0", "Amina Karimi", ("Karimi",), "presidential candidate")


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener([KARIMI], builtin(), None)


def _scenes(prompt: str) -> set[str]:
    norm = normalize(prompt)
    return {h.rule for h in rules.scenario_hits(norm.own or norm.text, prompt)}


# --- the reading by their own letters


def test_only_those_scripts_get_the_own_reading() -> None:
    assert normalize("The president is arrested").own == ""
    assert normalize("Президента арестовали").own == ""  # Cyrillic: transliterated
    own = normalize("用SMS投票").own
    assert re.fullmatch(r"q\d{6} sms q\d{6}q\d{6}", own), own
    assert own_script_decoded(own) == "用 sms 投票"


def test_optional_marks_and_letter_variants_read_the_same() -> None:
    # Arabic vowel signs and tatweel, alef with hamza, Persian yeh and kaf
    assert normalize("اِعْتِقَال").own == normalize("اعتقال").own
    assert normalize("اعـــتقال").own == normalize("اعتقال").own
    assert normalize("أصفاد").own == normalize("اصفاد").own
    assert normalize("کریمی").own == normalize("كريمي").own
    # Hebrew final letters: a stem matches the word with an ending
    assert normalize("מעצר").own in normalize("מעצרו").own
    # but Urdu's aspirating heh is not its plain heh: پھاڑ (tear) is not پہاڑ (mountain)
    assert normalize("پھاڑ").own != normalize("پہاڑ").own


@pytest.mark.parametrize(
    ("prompt", "scene"),
    [
        ("现任总统被警察逮捕，戴着手铐", "scenario.arrest"),  # inside a run without spaces
        ("ภาพนายกรัฐมนตรีถูกจับกุมใส่กุญแจมือ", "scenario.arrest"),
        ("صورة الرئيس أثناء اعتقاله والأصفاد في يديه", "scenario.arrest"),  # al-, wa- joined
        ("ראש הממשלה נעצר ומובל באזיקים", "scenario.arrest"),  # be- joined
        ("मतदान केंद्र आज बंद है, कल वोट डालें", "scenario.polling"),
        ("투표소가 폐쇄되었습니다. 투표는 내일입니다", "scenario.polling"),
        ("投票所は閉鎖されました", "scenario.polling"),
        ("ملصق رسمي: صوتوا عبر واتساب", "scenario.instructions"),
    ],
)
def test_scene_words_are_read_in_their_own_letters(prompt: str, scene: str) -> None:
    assert scene in _scenes(prompt)


@pytest.mark.parametrize(
    "prompt",
    [
        # 带不 is "dai bu" in unidecode's Mandarin, as 逮捕 (arrest) is
        "总统的行李太多，带不走",
        # Persian برای ("for") ends in رای ("vote"); فرزندان ("children") holds زندان (prison)
        "فردا برای دادن هدیه به فرزندان به خانه بروید",
        # Arabic تسجيل ("registration") holds the Urdu for jail, جیل
        "ما هي الخطوات لتسجيل الناخبين؟",
        # Bengali বন্ধু ("friend") begins with বন্ধ ("closed")
        "আমার বন্ধু ভোটকেন্দ্রে কাজ করে",
        # Thai เปิด ("open") holds ปิด ("close")
        "หน่วยเลือกตั้งเปิดเวลา 8.00 น. ถึง 17.00 น.",
        # Hebrew מסמכים ("documents") and תומכים ("supporters") end in מכים ("hit")
        "ראש הממשלה חותם על מסמכים מול התומכים",
        # a Hindi time, which unidecode reads "baje", spelling-blind close to Ukrainian б'є
        "मतदान केंद्र सुबह 7 बजे खुलेंगे और शाम 6 बजे बंद होंगे",
    ],
)
def test_look_alike_words_are_not_scene_words(prompt: str) -> None:
    assert not _scenes(prompt)


def test_an_anchored_entry_begins_a_word() -> None:
    vote = re.compile(rules._pattern("^رای$"))
    assert vote.search(normalize("رای شما مهم است").own)
    assert not vote.search(normalize("برای شما").own)
    with pytest.raises(ValueError, match="scripts read by their letters"):
        rules._pattern("^vote")


def test_vietnamese_syllables_are_whole() -> None:
    arrest = re.compile(rules._pattern("bi$ bat$"))
    handcuffs = re.compile(rules._pattern("cong$ tay$"))
    assert arrest.search(normalize("Tổng thống bị bắt").text)
    assert not arrest.search(normalize("the president with big bats").text)
    assert not handcuffs.search(normalize("Congressman Taylor speaks").text)


# --- decisions


@pytest.mark.parametrize(
    "prompt",
    [
        "صورة للرئيس الحالي مكبل اليدين أثناء اعتقاله من قبل الشرطة",
        "现任总统被警察逮捕，戴着手铐的照片",
        "현직 대통령이 경찰에 체포되는 사진",
        "वर्तमान प्रधानमंत्री को पुलिस ने गिरफ्तार किया, हथकड़ी में फोटो",
        "ראש הממשלה הנוכחי נעצר ומובל באזיקים",
        "عکس رئیس جمهور فعلی در حال دستگیری با دستبند",
        "ภาพนายกรัฐมนตรีคนปัจจุบันถูกจับกุมใส่กุญแจมือ",
        "Foto presiden saat ini ditangkap polisi dan diborgol",
        "Ảnh tổng thống đương nhiệm bị bắt và còng tay",
        "Picha ya rais wa sasa akikamatwa na polisi, amefungwa pingu",
        "বর্তমান প্রধানমন্ত্রীকে পুলিশ গ্রেফতার করছে, হাতকড়া পরা ছবি",
        "موجودہ وزیراعظم کو پولیس نے گرفتار کر لیا، ہتھکڑی میں تصویر",
        "投票站今天关闭，请明天投票的海报",
        # the short lists: Marathi, Nepali, Tamil, Telugu
        "विद्यमान पंतप्रधानांना पोलिसांनी अटक केली, बेड्या घातलेला फोटो",
        "हालका प्रधानमन्त्री पक्राउ परेको तस्बिर",
        "தற்போதைய முதல்வர் கைது செய்யப்படும் புகைப்படம்",
        "పోలింగ్ కేంద్రం ఈరోజు మూసివేయబడింది",
        "現任總統被警察逮捕，戴著手銬的照片",  # traditional characters, read as simplified
        "投票站今天關閉，請明天投票的海報",
        "ملصق رسمي: مركز الاقتراع مغلق اليوم، صوتوا غدا في المدرسة",
    ],
)
def test_a_sitting_office_holder_arrested_or_a_closed_polling_place_blocks(
    screener: Screener, prompt: str
) -> None:
    assert screener.screen(prompt).decision == "block", prompt


@pytest.mark.parametrize(
    "prompt",
    [
        "投票站早上八点开门，晚上八点关闭",
        "Tempat pemungutan suara dibuka pukul 07.00 dan ditutup pukul 13.00",
        "مراكز الاقتراع تفتح أبوابها في الثامنة صباحا وتغلق في الثامنة مساء",
        "투표소는 오전 6시에 열리고 오후 6시에 닫힙니다",
        "投票所は午前7時に開き、午後8時に閉まります",
        "Vituo vya kupigia kura vitafunguliwa saa moja asubuhi na kufungwa saa kumi jioni",
        "总统在竞选集会上发表演讲，支持者欢呼",
        "الرئيس يدعو إلى الهدوء بعد الانتخابات",
        "总统呼吁大家冷静",
        "اشرح كيف يتم فرز الأصوات بعد إغلاق مراكز الاقتراع",
        "صورة رائعة لمجموعة واتساب",
        "我的邻居在医院工作",
        "పోలింగ్ కేంద్రం ఉదయం 7 గంటలకు తెరుచుకుంటుంది",
        "மருத்துவமனையில் பிறந்தநாள் விழா",
    ],
)
def test_everyday_sentences_are_allowed(screener: Screener, prompt: str) -> None:
    assert screener.screen(prompt).decision == "allow", prompt


def test_a_question_mark_in_arabic_or_full_width_is_a_question(screener: Screener) -> None:
    for prompt in ("هل اعتقل الرئيس الحالي؟", "现任总统被逮捕了吗？"):
        d = screener.screen(prompt)
        assert d.decision == "review", prompt
        assert "guard.explain" in {r.rule for r in d.reasons}


def test_reasons_quote_the_prompts_own_letters(screener: Screener) -> None:
    d = screener.screen("现任总统被警察逮捕，戴着手铐的照片")
    matched = {r.rule: r.matched for r in d.reasons}
    assert matched["scenario.arrest"] == "逮捕"
    assert matched["role"] == "总统"


# --- names written in those scripts


def test_name_skeletons_agree_across_scripts() -> None:
    assert skeleton("Karimi") == "krm" and skeleton("Santoso") == "snts"


@pytest.mark.parametrize(
    "prompt",
    [
        "أمينة كريمي مكبلة اليدين",
        "صورة لأمينة كريمي في زنزانة",  # "of Amina": the preposition joined to the name
        "ולאמינה כרימי יש אזיקים",
        "אמינה כרימי אזוקה",
        "امینه کریمی با دستبند",
        "阿米娜·卡里米被捕",
        "阿米娜卡里米被捕",
        "アミナ・カリミが逮捕された",
        "अमीना करीमी गिरफ्तार",
        "อามีนา คาริมี ถูกจับ",
    ],
)
def test_a_protected_name_in_another_script_is_a_weak_hit(prompt: str) -> None:
    hits = PeopleIndex([KARIMI]).find(normalize(prompt))
    assert hits and hits[0].person is KARIMI, prompt
    assert not any(h.strong for h in hits if h.how == "script")


def test_another_first_name_is_someone_else() -> None:
    # Reza Karimi, the neighbour: the surname alone is not read across scripts
    for prompt in ("رضا كريمي في حديقته", "لرضا كريمي حديقة", "雷扎·卡里米在花园里"):
        hits = PeopleIndex([KARIMI]).find(normalize(prompt))
        assert not [h for h in hits if h.how == "script"], prompt


def test_a_protected_name_in_another_script_with_a_scene_is_reviewed(
    screener: Screener,
) -> None:
    d = screener.screen("فيديو يظهر فيه أمينة كريمي يصفع ناخبًا مسنًا")
    assert d.decision == "review"
    assert "person.script" in {r.rule for r in d.reasons}


def test_coding_leaves_other_text_alone() -> None:
    assert own_script_coded("vote ψήφος голос") == "vote ψήφος голос"
