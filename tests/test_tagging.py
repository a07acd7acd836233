"""The tagger: word boundaries, inflections, case rules, weighting and thresholds."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from dashboard.config import DEFAULT_TAXONOMY
from dashboard.errors import TaxonomyError
from dashboard.tagging.tagger import Evidence, Tagger, format_tags
from dashboard.tagging.taxonomy import load_taxonomy
from tests.taxonomies import ROUND  # one taxonomy, shared with test_evaluate


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load_taxonomy(DEFAULT_TAXONOMY))


def names(tags) -> list[str]:
    return [m.name for m in tags.companies]


def small(tmp_path: Path, body: str) -> Tagger:
    path = tmp_path / "taxonomy.toml"
    path.write_text(body, encoding="utf-8")
    return Tagger(load_taxonomy(path))


def test_the_seed_story_lands(tagger):
    tags = tagger.tag("DeepSeek withholds latest AI model from Nvidia, AMD")
    assert names(tags) == ["DeepSeek", "Nvidia", "AMD"]
    assert "hardware_autonomy" in tags.themes
    assert tags.scores["hardware_autonomy"] >= 0.5


def test_every_theme_is_scored_and_only_evidenced_ones_have_evidence(tagger):
    tags = tagger.tag("TSMC doubles CoWoS capacity as HBM shortage bites")
    assert list(tags.scores) == list(tagger.taxonomy.theme_ids)
    assert all(0.0 <= s <= 1.0 for s in tags.scores.values())
    assert set(tags.evidence) == {t for t, s in tags.scores.items() if s > 0}
    assert tags.themes == ("supply_chain",)
    assert all(e.where == "title" for e in tags.evidence["supply_chain"])


@pytest.mark.parametrize(
    "title",
    [
        "US widens export control on AI chips",
        "US widens export-control regime",
        "US widens export controls",
        "Export-controlled GPUs found in Shenzhen",
        "EXPORT CONTROLS TIGHTENED",
        "Exports, controls and chips",  # punctuation between the words
    ],
)
def test_inflections_hyphens_and_punctuation(tmp_path, title):
    tags = small(tmp_path, ROUND).tag(title)
    assert tags.scores["trade"] == 0.6  # the phrase, not "export" alone (0.2)
    assert tags.evidence["trade"][0].term.lower().startswith("export")


def test_words_match_whole_not_inside_other_words(tmp_path):
    tagger = small(tmp_path, ROUND)
    assert tagger.tag("Fabulous results at the fabric maker").scores["plants"] == 0.0
    assert tagger.tag("New fabs announced").scores["plants"] == 0.5
    assert tagger.tag("Exporter of the year").scores["trade"] == 0.0


def test_a_nested_term_counts_once_and_excluded_phrases_never_count(tmp_path):
    tagger = small(tmp_path, ROUND)
    tags = tagger.tag("New export controls")
    assert [e.term for e in tags.evidence["trade"]] == ["export controls"]
    assert tags.scores["trade"] == 0.6
    assert tagger.tag("Chipmakers flock to trade show").scores["trade"] == 0.0
    assert tagger.tag("Chipmakers flock to trade talks").scores["trade"] == 0.5


def test_gaps_and_alternatives(tmp_path):
    tagger = small(tmp_path, ROUND)
    assert tagger.tag("Lab withholds its newest model").scores["trade"] == 0.4
    assert tagger.tag("Lab withholds a very big new model").scores["trade"] == 0.0  # 4 words
    assert tagger.tag("Local accelerators win orders").scores["trade"] == 0.3
    assert tagger.tag("Domestic chip output rises").scores["trade"] == 0.3


def test_light_terms_count_in_titles_only(tmp_path):
    tagger = small(
        tmp_path,
        ROUND.replace("summary_factor = 0.5", "summary_factor = 0.5\nsummary_min_weight = 0.3"),
    )
    assert tagger.tag("Export news").scores["trade"] == 0.2
    quiet = tagger.tag("Officials speak", "Export news")
    assert quiet.scores["trade"] == 0.0 and "trade" not in quiet.evidence
    assert tagger.tag("Officials speak", "Export controls widen").scores["trade"] == 0.3


def test_title_matches_weigh_more_than_summary_matches(tmp_path):
    tagger = small(tmp_path, ROUND)
    in_title = tagger.tag("Export controls widen", "")
    in_summary = tagger.tag("Officials speak", "Export controls widen")
    assert in_title.scores["trade"] == 0.6
    assert in_summary.scores["trade"] == 0.3  # weight x summary_factor
    assert in_summary.evidence["trade"] == (Evidence("Export controls", "summary", 0.3),)
    both = tagger.tag("Export controls widen", "Export controls widen again")
    assert both.evidence["trade"] == (Evidence("Export controls", "title", 0.6),)


def test_scores_combine_and_thresholds_are_per_theme(tmp_path):
    tagger = small(tmp_path, ROUND)
    one = tagger.tag("Export controls widen")
    assert one.scores["trade"] == 0.6 and "trade" not in one.themes  # threshold 0.7
    two = tagger.tag("Export controls widen as trade talks stall")
    assert two.scores["trade"] == pytest.approx(1 - 0.4 * 0.5)
    assert "trade" in two.themes
    fab = tagger.tag("New fab opens")
    assert fab.themes == ("plants",)  # default threshold 0.5 is reached exactly


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Arm unveils new server CPU design", ["Arm"]),
        ("SoftBank's Arm weighs making its own chips", ["Arm"]),
        ("Man breaks arm in e-scooter crash", []),
        ("Robotic Arm Learns to Fold Laundry", []),
        ("Arm Wrestling Championship Returns", []),
        ("Apple unveils iPhone with thinner design", ["Apple"]),
        ("Farmers expect bumper apple harvest", []),
        ("Apple Growers Brace for Frost", []),
        ("Intel names new chief financial officer", ["Intel"]),
        ("Intelligence report warns of cyber threats", []),
        ("New intel suggests ceasefire talks stalled", []),
        ("Military Intel Points to Troop Build-up", []),
        ("Micron beats on revenue", ["Micron"]),
        ("Micron-scale sensors track blood flow", []),
        ("Researchers print 10-micron features", []),
        ("Meta launches new Llama model", ["Meta"]),
        ("Meta-analysis links sleep loss to heart disease", []),
        ("Meta-Analysis Finds Little Benefit", []),
        ("Amazon River Levels Hit Record Low", []),
        ("Amazon's AWS unveils Trainium3", ["Amazon"]),
        ("Kirin beer sales rise", []),
        ("Huawei's Kirin chip returns to 5nm", ["Huawei"]),
        ("Gemini crypto exchange files for IPO", []),
        ("Google's Gemini model tops benchmark", ["Google"]),
        ("Stocks ascend as inflation cools", []),
    ],
)
def test_case_and_context_rules_for_ambiguous_names(tagger, title, expected):
    assert names(tagger.tag(title)) == expected


def test_products_subsidiaries_plurals_and_tickers(tagger):
    tags = tagger.tag("AWS and T-Head order TPUs; NVDA falls as CUDA rivals grow")
    assert names(tags) == ["Amazon", "Alibaba", "Google", "Nvidia"]
    assert [m.alias for m in tags.companies] == ["AWS", "T-Head", "TPU", "NVDA"]
    assert names(tagger.tag("Trainium2 clusters go live")) == ["Amazon"]
    assert names(tagger.tag("H20 and GB200 orders")) == ["Nvidia"]  # short names stay whole
    hbm = tagger.tag("HBM3E output rises").evidence["supply_chain"]
    assert "HBM" in [e.term for e in hbm]  # "HBM3E": a version glued to a term still matches
    assert names(tagger.tag("why nvda matters")) == []  # tickers only as written


def test_companies_are_unique_in_order_of_first_appearance_title_then_summary(tagger):
    tags = tagger.tag(
        "Nvidia and AMD chase TSMC capacity",
        "AMD said TSMC and Samsung will both make its chips; Nvidia declined to comment.",
    )
    assert names(tags) == ["Nvidia", "AMD", "TSMC", "Samsung"]


def test_context_rules_for_a_small_taxonomy(tmp_path):
    tagger = small(tmp_path, ROUND)
    assert names(tagger.tag("Gizmo sales rise")) == []  # needs context
    assert names(tagger.tag("Gizmo chip sales rise")) == ["Widgetco"]  # a context word
    assert names(tagger.tag("Gizmo opens new fab")) == ["Widgetco"]  # a carried theme
    assert names(tagger.tag("gizmo chip sales rise")) == []  # case-sensitive
    assert names(tagger.tag("Widget Company toy recall")) == []  # vetoed by the next word
    assert names(tagger.tag("WDG shares jump")) == ["Widgetco"]
    assert names(tagger.tag("Widget Company's results")) == ["Widgetco"]


def test_off_topic_headlines_count_their_evidence_at_a_discount(tmp_path):
    body = ROUND.replace(
        "summary_factor = 0.5",
        'summary_factor = 0.5\noff_topic_factor = 0.5\ntopic_words = ["chip", "AI"]',
    )
    tagger = small(tmp_path, body)
    assert tagger.tag("New fab opens").scores["plants"] == 0.25
    assert tagger.tag("New chip fab opens").scores["plants"] == 0.5  # a topic word
    assert tagger.tag("New fabs for AI").scores["plants"] == 0.5
    assert tagger.tag("Widget Company opens fab").scores["plants"] == 0.5  # a watched company
    assert tagger.tag("New fab opens", "It will make chips.").scores["plants"] == 0.5
    bad = tmp_path / "bad.toml"
    bad.write_text(body.replace('"AI"]', '"data centre"]'), encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"scoring.topic_words\[1\]: 'data centre': one word"):
        load_taxonomy(bad)


def test_tagging_is_pure_and_deterministic(tagger):
    title, summary = "China curbs gallium exports", "Chipmakers scramble for supply."
    first = tagger.tag(title, summary)
    assert all(tagger.tag(title, summary) == first for _ in range(3))
    assert Tagger(tagger.taxonomy).tag(title, summary) == first
    assert tagger.tag("") == tagger.tag("   ", "")
    assert tagger.tag("").themes == () and tagger.tag("").companies == ()


def test_format_tags_is_readable(tagger):
    tags = tagger.tag("US adds Chinese chip firms to entity list")
    text = format_tags(tags, tagger.taxonomy)
    lines = text.splitlines()
    assert lines[0] == "companies: (none)"
    assert len(lines) == 1 + len(tagger.taxonomy.themes)
    geo = next(line for line in lines if line.startswith("geopolitics"))
    assert " yes " in geo and "entity list (title 0.90)" in geo


# Direction: escalating (+1), easing (-1) or neutral (0), for the themes a headline carries.
@pytest.mark.parametrize(
    "title, theme, direction",
    [
        ("DeepSeek withholds latest AI model from Nvidia, AMD", "hardware_autonomy", 1),
        ("TSMC expands CoWoS capacity", "supply_chain", -1),
        ("US lifts licence requirement for Nvidia H20 sales to China", "geopolitics", -1),
        ("US adds 140 firms to the entity list", "geopolitics", 1),
        ("US may ease curbs on chip exports to China", "geopolitics", -1),
        ("China bans Micron products from critical infrastructure", "geopolitics", 1),
        ("Washington and Beijing agree 90-day tariff truce", "geopolitics", -1),
        ("Fire halts production at chip substrate plant", "supply_chain", 1),
        ("HBM shortage eases as Samsung adds capacity", "supply_chain", -1),
        ("Commerce rescinds licences for chip shipments to Huawei", "geopolitics", 1),
        ("Beijing grants exemptions from gallium export curbs", "geopolitics", -1),
        ("Beijing grants exemptions from gallium export curbs", "supply_chain", -1),
        ("Tesla scraps Dojo in favour of Nvidia hardware", "hardware_autonomy", -1),
        ("TSMC says 2nm production in Arizona to start earlier than planned", "supply_chain", -1),
        ("台积电美国工厂量产延后", "supply_chain", 1),
    ],
)
def test_direction_of_a_carried_theme(tagger, title, theme, direction):
    tags = tagger.tag(title)
    assert theme in tags.themes, format_tags(tags, tagger.taxonomy)
    assert tags.directions[theme] == direction, format_tags(tags, tagger.taxonomy)
    assert tags.direction_evidence[theme], "a direction always shows its cues"


def test_the_seed_story_escalates_hardware_autonomy(tagger):
    tags = tagger.tag("DeepSeek withholds latest AI model from Nvidia, AMD")
    assert names(tags) == ["DeepSeek", "Nvidia", "AMD"]
    assert tags.directions == {"hardware_autonomy": 1, "geopolitics": 0, "supply_chain": 0}
    assert [c.term for c in tags.direction_evidence["hardware_autonomy"]] == ["withholds"]


@pytest.mark.parametrize(
    "title",
    [
        "US has no plans to ban Nvidia chips, official says",
        "China denies plan to ban Micron chips",
        "Commerce rules out new tariffs on chip imports",
        "US won't impose new export controls this year, Lutnick says",
    ],
)
def test_negation_cancels_a_cue(tagger, title):
    tags = tagger.tag(title)
    assert "geopolitics" in tags.themes
    assert tags.directions["geopolitics"] != 1, format_tags(tags, tagger.taxonomy)
    cancelled = [c for c in tags.direction_evidence["geopolitics"] if c.weight == 0]
    assert cancelled and all(c.note.startswith("cancelled by") for c in cancelled)


def test_a_hedge_softens_but_keeps_the_sign(tagger):
    sure = tagger.tag("US eases curbs on chip exports to China")
    hedged = tagger.tag("US may ease curbs on chip exports to China")
    (a,), (b,) = sure.direction_evidence["geopolitics"], hedged.direction_evidence["geopolitics"]
    assert a.weight < b.weight < 0 and b.note == "hedged by 'may'"


def test_direction_is_neutral_for_themes_not_carried(tagger):
    tags = tagger.tag("Nvidia shares dip in late trading")
    assert tags.directions == dict.fromkeys(tagger.taxonomy.theme_ids, 0)
    assert tags.direction_evidence == {}
    tags = tagger.tag("Samsung plans new phone launch event")
    assert all(d == 0 for t, d in tags.directions.items() if t not in tags.themes)


def test_direction_cues_for_a_small_taxonomy(tmp_path):
    tg = small(
        tmp_path,
        """
[direction]
threshold = 0.3
negators = ["no", "rules out"]
hedges = ["may"]
hedge_factor = 0.5

[themes.trade]
label = "Trade"
threshold = 0.3
[themes.trade.terms]
"tariff" = 0.6
[themes.trade.direction.escalating]
"tariff" = 0.4
"raise ... tariff" = 0.8
[themes.trade.direction.easing]
"cut|lift ... tariff" = 0.9
""",
    )
    assert tg.tag("Tariff news").directions["trade"] == 1
    # "cut ... tariff" wants "cut" first: here only the escalating "tariff" is a cue
    assert tg.tag("Tariff cut news").directions["trade"] == 1
    lifted = tg.tag("Minister lifts steel tariffs")
    assert lifted.directions["trade"] == -1
    (cue,) = lifted.direction_evidence["trade"]  # "tariff" inside the longer cue adds nothing
    assert (cue.term, cue.where, cue.weight) == ("lifts steel tariffs", "title", -0.9)
    assert tg.tag("Minister rules out steel tariffs").directions["trade"] == 0
    hedged = tg.tag("Minister may raise tariffs")
    assert hedged.direction_evidence["trade"][0].weight == 0.4
    assert hedged.directions["trade"] == 1
    summary = tg.tag("Tariff talk", "The minister may lift tariffs")
    assert summary.direction_evidence["trade"][-1].where == "summary"


# Other languages: CJK terms and aliases match as substrings, Latin ones as whole words.
@pytest.mark.parametrize(
    "title, companies, theme, direction",
    [
        ("美国将140家中国企业列入实体清单", [], "geopolitics", 1),
        ("英伟达H20芯片在华销量下滑", ["Nvidia"], None, 0),
        ("台积电扩产CoWoS先进封装", ["TSMC"], "supply_chain", -1),
        ("华为昇腾芯片助力国产替代", ["Huawei"], "hardware_autonomy", 1),
        ("深度求索新模型适配国产芯片", ["DeepSeek"], "hardware_autonomy", 1),
        ("中芯国际与长江存储受美国出口管制影响", ["SMIC", "YMTC"], "geopolitics", 1),
        (
            "摩尔线程、壁仞、沐曦和燧原竞逐国产GPU",
            ["Moore Threads", "Biren", "MetaX", "Enflame"],
            "hardware_autonomy",
            1,
        ),
        ("삼성전자, HBM 공급망 점검", ["Samsung"], "supply_chain", 0),
        ("SK하이닉스, 수출 규제 완화에 안도", ["SK Hynix"], "geopolitics", -1),
        ("エヌビディアとラピダスが提携", ["Nvidia", "Rapidus"], None, 0),
        ("東京エレクトロン、輸出規制の強化に懸念", ["Tokyo Electron"], "geopolitics", 1),
        ("Pénurie de puces : Nvidia sous pression", ["Nvidia"], "supply_chain", 1),
        ("Neue Exportkontrollen treffen ASML", ["ASML"], "geopolitics", 1),
        (
            "Lieferkette für Chips unter Druck, Infineon warnt vor Engpass",
            ["Infineon"],
            "supply_chain",
            1,
        ),
    ],
)
def test_other_languages(tagger, title, companies, theme, direction):
    tags = tagger.tag(title)
    shown = format_tags(tags, tagger.taxonomy)
    assert names(tags) == companies, shown
    if theme:
        assert theme in tags.themes, shown
        assert tags.directions[theme] == direction, shown
        assert all(e.term in title for e in tags.evidence[theme])  # evidence as written


def test_cjk_companies_come_in_order_of_place_and_vetoes_apply(tagger):
    assert names(tagger.tag("AMD与英伟达争夺阿里巴巴订单")) == ["AMD", "Nvidia", "Alibaba"]
    assert names(tagger.tag("英伟达与AMD争夺订单")) == ["Nvidia", "AMD"]
    assert names(tagger.tag("上海光刻机项目获批")) == []  # Shanghai + light, not Hygon
    assert names(tagger.tag("海光信息发布新款DCU")) == ["Hygon"]
    assert names(tagger.tag("寒武纪大爆发的化石证据")) == []  # the Cambrian explosion


def test_latin_terms_keep_whole_words_next_to_cjk(tmp_path):
    tg = small(
        tmp_path,
        """
[themes.trade]
label = "Trade"
[themes.trade.terms]
"ban" = 0.6
"出口管制" = 0.8
[companies.Widgetco]
aliases = ["小部件"]
""",
    )
    assert tg.tag("banner ads").scores["trade"] == 0.0  # Latin: whole words only
    assert tg.tag("美国加强出口管制措施").scores["trade"] == 0.8  # CJK: inside a run of text
    assert tg.tag("小部件公司ban令").scores["trade"] == 0.6  # a Latin word glued to CJK
    assert names(tg.tag("美国小部件公司")) == ["Widgetco"]


@pytest.mark.parametrize(
    "title, theme, direction",
    [
        ("No plans to ban Nvidia chips, Chinese officials tell industry", "geopolitics", 0),
        ("China denies it will restrict chip exports to the US", "geopolitics", 0),
        ("Huawei builds its own fabs to skirt US sanctions", "geopolitics", 0),
        ("SMIC expands 5nm capacity for Huawei despite US curbs", "geopolitics", 0),
        ("Micron fails to pass Nvidia HBM4 qualification", "supply_chain", 1),
        ("China suspends rare-earth export controls for a year", "supply_chain", -1),
        ("Lead times for AI servers fall from 40 weeks to 12", "supply_chain", -1),
        ("Intel pauses construction of Ohio fab", "supply_chain", 1),
        ("xAI orders another 300,000 Nvidia GPUs for Colossus", "hardware_autonomy", -1),
        ("Cambricon wins large order from ByteDance for AI chips", "hardware_autonomy", 1),
    ],
)
def test_negation_modality_and_confusions_of_direction(tagger, title, theme, direction):
    tags = tagger.tag(title)
    shown = format_tags(tags, tagger.taxonomy)
    assert theme in tags.themes, shown
    assert tags.directions[theme] == direction, shown


@pytest.mark.parametrize(
    "title, frame",
    [
        ("Analysis: can China build a domestic alternative to Nvidia?", "analysis"),
        ("Explainer: why Big Tech is designing its own AI chips", "explainer"),
        ("Will the US ban Nvidia's H20 chips in China?", "?"),
    ],
)
def test_a_framed_title_reports_without_a_direction(tagger, title, frame):
    tags = tagger.tag(title)
    assert tags.themes, format_tags(tags, tagger.taxonomy)
    assert all(d == 0 for d in tags.directions.values())
    cues = [c for cs in tags.direction_evidence.values() for c in cs]
    assert cues and all(c.weight == 0 for c in cues)  # still shown, as evidence
    assert any(c.note == f"framed by {frame!r}" for c in cues)


def test_frames_for_a_small_taxonomy(tmp_path):
    body = """
[direction]
frames = [%s]
[themes.trade]
label = "Trade"
[themes.trade.terms]
"tariff" = 0.6
[themes.trade.direction.escalating]
"tariff" = 0.6
"""
    framed = small(tmp_path, body % '"Why"')
    assert framed.tag("Why tariffs rise").directions["trade"] == 0
    assert framed.tag("Tariffs rise").directions["trade"] == 1
    assert small(tmp_path, body % "").tag("Why tariffs rise?").directions["trade"] == 1


def test_cjk_context_words_give_an_ambiguous_alias_its_context(tagger):
    assert names(tagger.tag("小米汽车交付量创新高")) == ["Xiaomi"]  # 汽车: a context word
    assert names(tagger.tag("小米粥的做法")) == []  # millet porridge


# The learned second opinion (tagging.learned): it adds what the rules do not carry, with evidence.
def test_the_learned_model_adds_a_theme_the_rules_miss_and_shows_why(tmp_path, tagger):
    title = "Nvidia to build AI supercomputers in US with Foxconn and Wistron"
    rules_only = Tagger(load_taxonomy(_without_learned(tmp_path)))
    assert rules_only.tag(title).scores["supply_chain"] == 0  # the rules are silent here
    tags = tagger.tag(title)
    assert "supply_chain" in tags.themes, format_tags(tags, tagger.taxonomy)
    assert tags.scores["supply_chain"] >= tagger.taxonomy.themes[2].threshold
    learned = [e for e in tags.evidence["supply_chain"] if e.where == "learned"]
    words, *nearest = learned
    assert words.weight >= tagger.taxonomy.learned_threshold
    assert all(w.strip() in title for w in words.term.split(","))  # as the headline wrote them
    assert nearest and all(e.term.startswith('like "') for e in nearest)
    assert tags.scores["supply_chain"] == words.weight  # scored at the model's probability


def test_the_learned_model_lifts_weak_rule_evidence_and_shows_both(tmp_path, tagger):
    title = "Drought in Taiwan forces chipmakers to truck in water"
    rules = Tagger(load_taxonomy(_without_learned(tmp_path))).tag(title)
    weak = rules.evidence["supply_chain"]
    assert 0 < rules.scores["supply_chain"] < 0.45 and "supply_chain" not in rules.themes
    tags = tagger.tag(title)
    assert "supply_chain" in tags.themes, format_tags(tags, tagger.taxonomy)
    evidence = tags.evidence["supply_chain"]
    assert evidence[: len(weak)] == weak  # the rules' terms first, then the model's
    words = evidence[len(weak)]
    assert words.where == "learned" and words.weight >= tagger.taxonomy.learned_threshold
    assert tags.scores["supply_chain"] == max(words.weight, rules.scores["supply_chain"])


def test_a_theme_the_rules_carry_keeps_the_rules_score_and_evidence(tmp_path, tagger):
    title = "US adds 140 firms to the entity list"
    rules = Tagger(load_taxonomy(_without_learned(tmp_path))).tag(title)
    tags = tagger.tag(title)
    assert "geopolitics" in rules.themes
    assert tags.scores["geopolitics"] == rules.scores["geopolitics"]
    assert tags.evidence["geopolitics"] == rules.evidence["geopolitics"]


def test_a_theme_may_need_a_surer_model_than_the_others(tagger):
    title = "Nvidia to build AI supercomputers in US with Foxconn and Wistron"
    p = tagger.tag(title).scores["supply_chain"]  # the model's probability (the rules are silent)
    floors = dict(tagger.taxonomy.learned_thresholds)
    assert floors["supply_chain"] > tagger.taxonomy.learned_threshold  # as the taxonomy sets it
    for floor, carried in ((p, True), (round(p + 0.01, 6), False)):
        taxonomy = replace(tagger.taxonomy, learned_thresholds=(("supply_chain", floor),))
        assert ("supply_chain" in Tagger(taxonomy).tag(title).themes) is carried, floor


def test_off_topic_news_gets_no_second_opinion(tagger):
    tags = tagger.tag("Cyclists cheer as London backs downtown bike lanes")
    assert tags.themes == ()


def _without_learned(tmp_path: Path) -> Path:
    text = DEFAULT_TAXONOMY.read_text(encoding="utf-8")
    start = text.index("[learned]")
    end = text.index("\n[themes.", start)  # [learned] and its [learned.themes]
    path = tmp_path / "rules_only.toml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    return path


def test_learned_features_are_the_taggers_stems(tagger):
    from dashboard.tagging.learned import features, stems_of

    title = "TSMC's Arizona fabs ramp 4nm output; 台积电扩产"
    stems = tagger._norm(title)[2]
    assert stems_of(title) == stems
    feats = features([(stems, title)])
    assert feats[: len(stems)] == list(stems)
    assert "arizona fab" in feats and "扩产" in feats


@pytest.mark.parametrize(
    "title",
    [
        "Worker shortage delays Arizona housing projects",
        "Capacity crowd watches Apple keynote at Steve Jobs Theater",
        "Ban on smartphones in schools takes effect in France",
    ],
)
def test_shortages_crowds_and_bans_outside_technology_carry_no_theme(tagger, title):
    tags = tagger.tag(title)
    assert tags.themes == (), format_tags(tags, tagger.taxonomy)
