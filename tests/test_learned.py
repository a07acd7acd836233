"""The learned model's plain-Python inference agrees with the scikit-learn model it came from."""

from __future__ import annotations

import csv
import math

import sklearn  # noqa: F401  a dev dependency (pyproject): when missing the suite fails, never skips

from dashboard.tagging import learned


def test_trained_model_round_trips_through_its_file(tmp_path):
    labels = tmp_path / "labels.csv"
    rows = [
        ("US adds chip firms to entity list", "0", "1"),
        ("US widens export controls on chips", "0", "1"),
        ("Beijing bans Micron chips", "0", "1"),
        ("Meta builds its own AI chip", "1", "0"),
        ("Google TPU wins Anthropic", "1", "0"),
        ("Amazon Trainium replaces Nvidia GPUs", "1", "0"),
        ("Nvidia shares rise", "0", "0"),
        ("Apple unveils new iPhone", "0", "0"),
    ]
    with labels.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["title", "summary", "a", "b", "a_direction", "b_direction"])
        w.writerows([(t, "", a, b, 0, 0) for t, a, b in rows])
    out = tmp_path / "model.json"
    doc = learned.train([labels], out)
    model = learned.load_model(out)
    assert set(model.themes) == {"a", "b"} and doc["rows"] == 8

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    docs = [learned.features(learned._parts(t, "")) for t, _, _ in rows]
    vec = TfidfVectorizer(analyzer=lambda d: d, sublinear_tf=True).fit(docs)
    x = vec.transform(docs)
    for theme, col in (("a", 1), ("b", 2)):
        y = [int(r[col]) for r in rows]
        ref = LogisticRegression(C=learned.C, max_iter=5000, class_weight="balanced").fit(x, y)
        want = ref.predict_proba(x)[:, 1]
        for d, p in zip(docs, want, strict=True):
            got = model.probabilities(model.vector(d))[theme]
            assert math.isclose(got, p, abs_tol=1e-3)
    why = model.explain(model.vector(docs[0]), "b", 0.9)
    assert why.nearest[0] == rows[0][0]  # a labelled headline is its own nearest example


def test_the_taggers_fast_path_counts_what_features_count():
    from collections import Counter

    from dashboard.config import DEFAULT_TAXONOMY
    from dashboard.tagging.tagger import Tagger
    from dashboard.tagging.taxonomy import load_taxonomy

    tagger = Tagger(load_taxonomy(DEFAULT_TAXONOMY))
    model = learned.load_model()
    for title, summary in [
        ("TSMC expands CoWoS capacity as HBM shortage bites", "Export curbs loom."),
        ("台积电扩产CoWoS先进封装，英伟达订单大增", ""),
        ("Nvidia Nvidia export export controls", ""),
    ]:
        parts = [("title", tagger._norm(title))] + (
            [("summary", tagger._norm(summary))] if summary else []
        )
        raws = [title, summary] if summary else [title]
        feats = learned.features([(p[1][2], r) for p, r in zip(parts, raws, strict=True)])
        want = Counter(f for f in feats if f in model.idf)
        assert model.counts(parts, raws) == want
        slow = model.probabilities(model.vector(feats))
        fast = model._scan(model.counts(parts, raws), list(slow))
        assert all(math.isclose(fast[t], slow[t], abs_tol=1e-12) for t in slow)
