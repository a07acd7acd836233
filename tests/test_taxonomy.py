"""The taxonomy file: the shipped one loads, and every kind of mistake is named precisely."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard.config import DEFAULT_TAXONOMY
from dashboard.errors import ChipwatchError, TaxonomyError
from dashboard.tagging.evaluate import evaluate, tag_csv
from dashboard.tagging.tagger import Tagger
from dashboard.tagging.taxonomy import load_taxonomy

WATCHLIST = [
    "DeepSeek",
    "Nvidia",
    "AMD",
    "Intel",
    "TSMC",
    "Huawei",
    "SMIC",
    "Samsung",
    "ASML",
    "Alibaba",
    "Baidu",
    "Tencent",
    "ByteDance",
    "Cambricon",
    "Google",
    "Microsoft",
    "Amazon",
    "Meta",
    "Apple",
    "OpenAI",
    "Qualcomm",
    "Arm",
    "Broadcom",
    "Moonshot",
    "Zhipu",
    "Micron",
] + ["SK Hynix"]
# Issue 14: the wider watchlist, canonical names exactly as written
WIDER = """Applied Materials, Lam Research, Tokyo Electron, KLA, CXMT, YMTC, Kioxia, GlobalFoundries,
UMC, Rapidus, ASE, Amkor, Moore Threads, Biren, Hygon, MetaX, Enflame, Anthropic, xAI, Mistral,
Oracle, CoreWeave, Supermicro, Dell, Foxconn, Nexperia, Infineon, NXP, Texas Instruments,
Marvell, MediaTek, Cerebras, Groq, Synopsys, Cadence, Hua Hong, Naura, Wingtech, Lenovo, Xiaomi,
Tesla, STMicroelectronics, Renesas, Western Digital, Sandisk, Shin-Etsu, SUMCO"""

SMALL = """
[themes.alpha]
label = "Alpha"
description = "first theme"
[themes.alpha.terms]
"widget" = 0.6

[companies.Acme]
aliases = ["Acme Corp"]
tickers = ["ACM"]
"""


def write(tmp_path: Path, text: str, name: str = "taxonomy.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_taxonomy_loads_with_three_themes_and_the_watchlist():
    tx = load_taxonomy(DEFAULT_TAXONOMY)
    assert tx.theme_ids == ("hardware_autonomy", "geopolitics", "supply_chain")
    assert set(WATCHLIST) <= set(tx.company_names)
    assert re.fullmatch(r"[0-9a-f]{12}", tx.version)
    for theme in tx.themes:
        assert theme.label and theme.description and theme.terms
        assert 0 < theme.threshold <= 1
        assert all(0 < term.weight <= 1 for term in theme.terms)
    assert {t.id: t.label for t in tx.themes}["geopolitics"] == "Geopolitics"


def test_the_wider_watchlist_and_its_aliases_in_other_scripts():
    tx = load_taxonomy(DEFAULT_TAXONOMY)
    wider = [n.strip() for n in WIDER.split(",")]
    assert set(wider) <= set(tx.company_names)
    assert len(tx.company_names) >= 60
    owner = {alias: c.name for c in tx.companies for alias in c.aliases}
    expected = {
        "Claude": "Anthropic", "Grok": "xAI", "Hon Hai": "Foxconn", "TI": "Texas Instruments",
        "英伟达": "Nvidia", "辉达": "Nvidia", "엔비디아": "Nvidia", "エヌビディア": "Nvidia",
        "华为": "Huawei", "화웨이": "Huawei", "台积电": "TSMC", "台湾積体電路製造": "TSMC",
        "中芯国际": "SMIC", "深度求索": "DeepSeek", "寒武纪": "Cambricon", "阿里巴巴": "Alibaba",
        "百度": "Baidu", "腾讯": "Tencent", "字节跳动": "ByteDance", "三星": "Samsung",
        "삼성전자": "Samsung", "海力士": "SK Hynix", "SK하이닉스": "SK Hynix", "长鑫": "CXMT",
        "长江存储": "YMTC", "摩尔线程": "Moore Threads", "壁仞": "Biren", "海光": "Hygon",
        "沐曦": "MetaX", "燧原": "Enflame", "ラピダス": "Rapidus",
        "東京エレクトロン": "Tokyo Electron", "キオクシア": "Kioxia",
    }  # fmt: skip
    assert {a: owner.get(a) for a in expected} == expected
    geo = {t.text for t in next(t for t in tx.themes if t.id == "geopolitics").terms}
    assert {"实体清单|實體清單|不可靠实体清单", "関税", "관세", "droits de douane"} <= geo


def test_direction_tables_load_and_their_mistakes_are_named(tmp_path):
    tx = load_taxonomy(DEFAULT_TAXONOMY)
    for theme in tx.themes:
        assert theme.escalating and theme.easing
        assert all(0 < t.weight <= 1 for t in (*theme.escalating, *theme.easing))
    assert "no" in tx.direction.negators and "may" in tx.direction.hedges
    with_cues = SMALL.replace(
        '"widget" = 0.6', '"widget" = 0.6\n[themes.alpha.direction.escalating]\n"more" = 0.5'
    )
    tx = load_taxonomy(write(tmp_path, with_cues))
    assert [t.text for t in next(t for t in tx.themes if t.id == "alpha").escalating] == ["more"]
    assert next(t for t in tx.themes if t.id == "alpha").easing == ()
    bad = [
        (with_cues.replace('"more" = 0.5', '"more" = 1.5'), "direction.escalating.'more'",
         "out of range"),
        (with_cues + '[themes.alpha.direction.easing]\n"More" = 0.4\n', "themes.alpha.direction",
         "both escalating and easing"),
        (with_cues.replace("escalating]", "upward]"), "themes.alpha.direction.upward",
         "unknown field"),
        ("[direction]\nscope = 20\n" + SMALL, "direction.scope", "whole number"),
        ("[direction]\nnegators = [\"\"]\n" + SMALL, "direction.negators[0]", "non-empty"),
        (SMALL.replace('"widget" = 0.6', '"出口 ... 管制" = 0.6'), "themes.alpha.terms",
         "CJK term cannot hold"),
    ]  # fmt: skip
    for text, key, problem in bad:
        with pytest.raises(TaxonomyError) as err:
            load_taxonomy(write(tmp_path, text, "bad.toml"))
        assert key in str(err.value) and problem in str(err.value), str(err.value)


def test_flagship_products_and_subsidiaries_are_aliases():
    tx = load_taxonomy(DEFAULT_TAXONOMY)
    owner = {alias: c.name for c in tx.companies for alias in c.aliases}
    expected = {
        "CUDA": "Nvidia",
        "GeForce": "Nvidia",
        "Ascend": "Huawei",
        "Kirin": "Huawei",
        "Snapdragon": "Qualcomm",
        "Gemini": "Google",
        "TPU": "Google",
        "Trainium": "Amazon",
        "Maia": "Microsoft",
        "MTIA": "Meta",
        "AWS": "Amazon",
        "T-Head": "Alibaba",
    }
    assert {a: owner.get(a) for a in expected} == expected


def test_none_means_the_configured_path(tmp_path, monkeypatch):
    path = write(tmp_path, SMALL)
    monkeypatch.setenv("CHIPWATCH_TAXONOMY", str(path))
    tx = load_taxonomy()
    assert tx.theme_ids == ("alpha",)
    assert tx.company_names == ("Acme",)
    assert tx.themes[0].threshold == 0.5  # the default when a theme sets none


def test_version_follows_the_file_bytes(tmp_path):
    a = load_taxonomy(write(tmp_path, SMALL, "a.toml"))
    b = load_taxonomy(write(tmp_path, SMALL + "\n# a comment\n", "b.toml"))
    c = load_taxonomy(write(tmp_path, SMALL, "c.toml"))
    assert a.version != b.version
    assert a.version == c.version


BAD = [
    # (change to SMALL, key named in the message, problem named in the message)
    (
        SMALL.replace('label = "Alpha"', 'label = "Alpha"\ncolour = "red"'),
        "themes.alpha.colour",
        "unknown field",
    ),
    (SMALL + 'sector = "chips"\n', "companies.Acme.sector", "unknown field"),
    ("verbose = true\n" + SMALL, "verbose", "unknown field"),
    (
        SMALL.replace('"widget" = 0.6', '"widget" = 0.6\n"  " = 0.3'),
        "themes.alpha.terms",
        "empty term",
    ),
    (
        SMALL.replace('"widget" = 0.6', '"widget" = 0.6\n"-- " = 0.3'),
        "themes.alpha.terms",
        "empty term",
    ),
    (SMALL.replace('"widget" = 0.6', '"... widget" = 0.3'), "themes.alpha.terms", "empty term"),
    (SMALL.replace('"widget" = 0.6', '"widget|" = 0.3'), "themes.alpha.terms", "empty term"),
    (SMALL.replace("0.6", "1.5"), "themes.alpha.terms.'widget'", "out of range"),
    (SMALL.replace("0.6", "0"), "themes.alpha.terms.'widget'", "out of range"),
    (SMALL.replace("0.6", "-0.2"), "themes.alpha.terms.'widget'", "out of range"),
    (SMALL.replace("0.6", '"high"'), "themes.alpha.terms.'widget'", "expected a number"),
    (
        SMALL.replace('description = "first theme"', "threshold = 2"),
        "themes.alpha.threshold",
        "out of range",
    ),
    (
        SMALL + '[companies.Other]\naliases = ["Acme Corp"]\n',
        "companies.Other.aliases",
        "duplicate alias",
    ),
    (
        SMALL + '[companies.Other]\ntickers = ["ACM"]\n',
        "companies.Other.tickers",
        "duplicate alias",
    ),
    (
        SMALL.replace('aliases = ["Acme Corp"]', 'aliases = ["Acme Corp", "ACME CORP"]'),
        "companies.Acme.aliases",
        "duplicate alias",
    ),
    (SMALL + 'context_themes = ["beta"]\n', "companies.Acme.context_themes", "unknown theme"),
    (
        SMALL + 'case_sensitive = ["Acme Inc"]\n',
        "companies.Acme.case_sensitive",
        "not one of the aliases",
    ),
    (
        SMALL + 'needs_context = ["Widgetco"]\n',
        "companies.Acme.needs_context",
        "not one of the aliases",
    ),
    (
        SMALL.replace('"widget" = 0.6', '"widget" = 0.6\n"Widgets" = 0.2'),
        "themes.alpha.terms",
        "duplicate term",
    ),
    (SMALL.replace("[themes.alpha]", "[themes.Alpha-1]"), "themes.Alpha-1", "lower_snake_case"),
    (SMALL.replace('label = "Alpha"\n', ""), "themes.alpha.label", "missing"),
    (
        SMALL.replace('aliases = ["Acme Corp"]', 'aliases = "Acme Corp"'),
        "companies.Acme.aliases",
        "list of strings",
    ),
    ("[companies.Acme]\n", "themes", "at least one"),
    (SMALL.replace('"widget" = 0.6', '"widget = 0.6'), "", "bad TOML"),
]


@pytest.mark.parametrize(("text", "key", "problem"), BAD)
def test_each_mistake_names_the_file_the_key_and_the_problem(tmp_path, text, key, problem):
    path = write(tmp_path, text)
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ")
    assert key in message
    assert problem in message
    assert isinstance(err.value, ChipwatchError)


def test_missing_and_non_utf8_files_are_named(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(TaxonomyError, match=re.escape(str(missing))):
        load_taxonomy(missing)
    latin = tmp_path / "latin.toml"
    latin.write_bytes(SMALL.replace("first theme", "caf\xe9").encode("latin-1"))
    with pytest.raises(TaxonomyError, match="bad TOML"):
        load_taxonomy(latin)


FOURTH = """
[themes.energy]
label = "Energy"
description = "Power for data centres and fabs."
threshold = 0.4
[themes.energy.terms]
"power grid" = 0.5
"nuclear" = 0.45
"""


def test_a_fourth_theme_just_works_everywhere(tmp_path):
    path = write(tmp_path, DEFAULT_TAXONOMY.read_text(encoding="utf-8") + FOURTH)
    tx = load_taxonomy(path)
    assert tx.theme_ids[-1] == "energy" and len(tx.theme_ids) == 4
    tagger = Tagger(tx)

    tags = tagger.tag("Microsoft signs nuclear deal to power AI data centres")
    assert set(tags.scores) == set(tx.theme_ids)
    assert tags.scores["energy"] == 0.45
    assert "energy" in tags.themes  # its own threshold, 0.4, not the default
    assert [m.name for m in tags.companies] == ["Microsoft"]

    src = write(
        tmp_path, "title\nGrid operators warn power grid cannot keep up with AI\n", "in.csv"
    )
    out = tmp_path / "out.csv"
    tag_csv(src, out, tagger)
    header, row = out.read_text(encoding="utf-8").splitlines()
    assert "energy_score,energy,energy_direction,evidence" in header
    assert ",0.500,1,0," in row and "energy: power grid (title)" in row

    report = evaluate(out, tagger)  # the tagged file carries an energy column now
    assert "energy" in report.themes
    assert report.themes["energy"].f1 == 1.0
    labels = Path(__file__).parent / "data" / "labels.csv"
    assert evaluate(labels, tagger).unlabelled_themes == ("energy",)


def test_context_and_topic_words_are_single_words(tmp_path):
    text = SMALL + 'needs_context = ["Acme Corp"]\ncontext = ["chip", "data center"]\n'
    with pytest.raises(TaxonomyError, match=r"companies.Acme.context\[1\]: 'data center'"):
        load_taxonomy(write(tmp_path, text))


def test_the_learned_model_is_part_of_the_taxonomy_version(tmp_path, monkeypatch):
    from dashboard.tagging import taxonomy as module

    body = '[learned]\nthreshold = 0.8\n[themes.t]\nlabel = "T"\n[themes.t.terms]\n"x" = 0.5\n'
    path = tmp_path / "taxonomy.toml"
    path.write_text(body, encoding="utf-8")
    model = tmp_path / "model.json"
    monkeypatch.setattr(module, "LEARNED_MODEL", model)
    model.write_text("{}", encoding="utf-8")
    first = module.load_taxonomy(path)
    model.write_text('{"other": 1}', encoding="utf-8")
    second = module.load_taxonomy(path)
    assert first.learned_threshold == 0.8 and first.version != second.version
    path.write_text(body.replace("[learned]\nthreshold = 0.8\n", ""), encoding="utf-8")
    assert module.load_taxonomy(path).learned_threshold is None
    path.write_text(body.replace("0.8", "1.5"), encoding="utf-8")
    with pytest.raises(TaxonomyError, match="learned.threshold"):
        module.load_taxonomy(path)


def test_a_theme_may_set_its_own_learned_threshold(tmp_path):
    body = "[learned]\nthreshold = 0.6\n[learned.themes]\n%s = 0.7\n"
    body += '[themes.t]\nlabel = "T"\n[themes.t.terms]\n"x" = 0.5\n'
    taxonomy = load_taxonomy(write(tmp_path, body % "t"))
    assert taxonomy.learned_threshold == 0.6 and taxonomy.learned_thresholds == (("t", 0.7),)
    with pytest.raises(TaxonomyError, match="learned.themes.u: unknown field"):
        load_taxonomy(write(tmp_path, body % "u"))


def test_ascii_text_is_tokenized_as_the_general_pattern_tokenizes_it():
    from dashboard.tagging.taxonomy import TOKEN_RE, tokens

    texts = [
        "U.S. and E.U. curbs: Nvidia's H20, AMD's MI308X -- export-control 'rules'",
        "Samsung's HBM3E (12-high) passes; TSMC's 2nm/3nm ramps _under_ way o'clock",
        "rock'n'roll isn't a chip, 3.5% of 1,000 DRAM wafers; A.I. ... e.g. a.b",
        "",
    ]
    for text in texts:
        assert tokens(text) == TOKEN_RE.findall(text)
    assert tokens("Nvidia’s H20") == ["Nvidia’s", "H20"]  # not ASCII: the general pattern
