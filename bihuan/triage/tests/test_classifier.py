"""The triage text classifier and ``bihuan triage benchmark``, on small made-up tickets."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bihuan.triage.classifier import (
    ClassifierSettings,
    ModelFileError,
    Prediction,
    TextClassifier,
)
from bihuan.triage.text import is_mostly_cjk, normalize, tokenize, word_tokens

OPENINGS_ZH = ["你好，", "客服你好，", "", "麻烦问一下，"]
OPENINGS_EN = ["Hi, ", "Hello, ", "", "Excuse me, "]
TOPICS = {
    "refund": (
        ["我要退款", "申请退款，钱什么时候退回", "退款还没到账", "商品不要了，请给我退款"],
        ["I want a refund", "please refund my money", "my refund has not arrived", "refund me"],
    ),
    "delivery": (
        ["快递到哪里了", "物流一直没有更新", "包裹还没送到", "什么时候发货"],
        ["where is my parcel", "the delivery is late", "tracking has not updated", "ship it"],
    ),
    "account": (
        ["账号登录不了", "密码忘记了怎么重置", "账户被锁定了", "修改绑定的手机号"],
        ["I cannot log in", "reset my password", "my account is locked", "change my login"],
    ),
}
HELD_OUT = [
    ("退款什么时候到账？", "refund"),
    ("I would like a refund for this order", "refund"),
    ("我的快递怎么还没送到", "delivery"),
    ("the parcel delivery is very late", "delivery"),
    ("登录不了，密码错误", "account"),
    ("my password reset does not work, cannot log in", "account"),
]
LINE = re.compile(
    r"^accuracy=(\d\.\d{4}) macro_f1=(\d\.\d{4}) train_s=\d+\.\d{2} predict_per_s=\d+$"
)


def tickets() -> tuple[list[str], list[str]]:
    texts: list[str] = []
    labels: list[str] = []
    for label, (chinese, english) in TOPICS.items():
        for opening, phrase in itertools.product(OPENINGS_ZH, chinese):
            texts.append(f"{opening}{phrase}")
            labels.append(label)
        for opening, phrase in itertools.product(OPENINGS_EN, english):
            texts.append(f"{opening}{phrase}")
            labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def trained() -> TextClassifier:
    texts, labels = tickets()
    return TextClassifier().fit(texts, labels)


def write_csv(path: Path, rows: list[tuple[str, str]], header: str = "text,label") -> Path:
    lines = [header] + [f'"{text}",{label}' for text, label in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def benchmark(*args: str) -> list[str]:
    out = StringIO()
    call_command("triage", "benchmark", *args, stdout=out)
    return out.getvalue().splitlines()


# ----------------------------------------------------------------------- text


def test_tokenize_segments_chinese_and_keeps_english_words_whole() -> None:
    tokens = word_tokens("我的订单还没发货，I don't want it!! 退款")

    assert tokens == ["我", "的", "订单", "还", "没", "发货", "i", "don't", "want", "it", "退款"]


def test_normalize_folds_width_and_case_and_masks_contacts_and_long_numbers() -> None:
    text = normalize("\ufeffＲＥＦＵＮＤ，订单 1234567 mail a.b@example.com https://x.example/y")

    assert text == "refund,订单 00000 mail email url"


def test_mostly_cjk_counts_letters_only() -> None:
    assert is_mostly_cjk("退款 refund 退款")
    assert not is_mostly_cjk("refund please 退款")
    assert not is_mostly_cjk("12345 !!!")
    assert tokenize("") == []


# ----------------------------------------------------------------- classifier


def test_classifier_learns_tickets_in_chinese_and_english(trained: TextClassifier) -> None:
    predictions = trained.predict([text for text, _label in HELD_OUT])

    assert [p.label for p in predictions] == [label for _text, label in HELD_OUT]
    assert all(0.5 < p.confidence <= 1.0 for p in predictions)
    assert trained.labels == ["account", "delivery", "refund"]
    assert trained.metadata["n_samples"] == 96
    assert trained.metadata["labels"] == ["account", "delivery", "refund"]
    assert trained.metadata["metrics"]["cross_validation"]["accuracy"] > 0.9


def test_prediction_explains_itself_with_top_terms_and_alternatives(
    trained: TextClassifier,
) -> None:
    chinese, english = trained.predict(["我要退款，钱什么时候退回", "please refund my money"])

    assert chinese.label == "refund"
    assert "退款" in chinese.top_terms
    assert english.label == "refund"
    assert any("refund" in term for term in english.top_terms)
    assert 1 <= len(english.top_terms) <= 5
    assert english.alternatives[0][0] == "refund"
    assert len(english.alternatives) == 3
    assert sum(p for _label, p in english.alternatives) == pytest.approx(1.0, abs=1e-3)


def test_probabilities_sum_to_one_in_label_order(trained: TextClassifier) -> None:
    probabilities = trained.predict_proba(["物流一直没有更新", "reset my password"])

    assert probabilities.shape == (2, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), [1.0, 1.0])
    assert trained.labels[int(probabilities[0].argmax())] == "delivery"
    assert trained.labels[int(probabilities[1].argmax())] == "account"


def test_fast_prediction_path_computes_the_pipeline_features(trained: TextClassifier) -> None:
    texts = [normalize(text) for text, _label in HELD_OUT] + ["", "完全无关 unrelated words"]
    pipeline = trained.pipeline_
    trained.predict(texts[:1])
    runtime = trained._runtime
    assert runtime is not None

    fast = runtime.transform(texts).toarray()
    reference = pipeline.named_steps["features"].transform(texts).toarray()

    np.testing.assert_allclose(fast, reference, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(
        runtime.scores(runtime.transform(texts)),
        pipeline.decision_function(texts),
        rtol=1e-5,
        atol=1e-6,
    )


def test_saved_model_gives_identical_predictions_after_loading(
    trained: TextClassifier, tmp_path: Path
) -> None:
    texts = [text for text, _label in HELD_OUT] + ["完全无关的一句话", "zzz"]
    before = trained.predict(texts)

    path = trained.save(tmp_path / "models" / "category.joblib")
    loaded = TextClassifier.load(path)

    assert loaded.predict(texts) == before
    assert loaded.metadata == trained.metadata
    assert loaded.labels == trained.labels
    assert loaded.threshold_ == trained.threshold_


def test_load_refuses_missing_foreign_and_outdated_files(
    trained: TextClassifier, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    foreign = tmp_path / "foreign.joblib"
    foreign.write_bytes(b"not a pickle")
    path = trained.save(tmp_path / "model.joblib")
    monkeypatch.setattr("bihuan.triage.classifier.MODEL_VERSION", "999")

    with pytest.raises(ModelFileError, match="no model file"):
        TextClassifier.load(tmp_path / "missing.joblib")
    with pytest.raises(ModelFileError, match="not a readable model file"):
        TextClassifier.load(foreign)
    with pytest.raises(ModelFileError, match="train the model again"):
        TextClassifier.load(path)


def test_text_unlike_every_class_is_answered_none_under_the_threshold() -> None:
    texts, labels = tickets()
    classifier = TextClassifier(none_label="none", threshold=0.75).fit(texts, labels)

    unrelated, related = classifier.predict(["春眠不觉晓 zzz", "我要退款 refund"])

    assert unrelated.label == "none"
    assert unrelated.top_terms == ()
    assert unrelated.confidence == pytest.approx(1.0 - unrelated.alternatives[0][1], abs=1e-3)
    assert unrelated.alternatives[0][1] < 0.75
    assert related.label == "refund"
    assert related.confidence >= 0.75


def test_automatic_threshold_is_chosen_from_examples_of_the_none_label() -> None:
    texts, labels = tickets()
    chatter = [
        "今天天气真好",
        "讲个笑话吧",
        "what's the weather today",
        "tell me a joke",
        "你喜欢什么颜色",
        "who won the football game",
        "推荐一首歌",
        "what time is it in tokyo",
        "猫为什么喜欢睡觉",
        "how tall is mount everest",
        "明天会下雨吗",
        "play some music",
    ]
    classifier = TextClassifier(none_label="oos", threshold="auto").fit(
        texts + chatter, labels + ["oos"] * len(chatter)
    )

    predictions = classifier.predict(["please refund my money", "我的快递怎么还没送到"])

    assert 0.0 <= classifier.threshold_ < 1.0
    assert classifier.metadata["threshold"] == classifier.threshold_
    assert [p.label for p in predictions] == ["refund", "delivery"]


def test_binary_labels_explain_both_classes() -> None:
    texts = ["送餐很快，味道很好", "very fast, tasty food", "好吃，推荐", "great food, thanks"] * 5
    texts += ["送餐太慢，菜都凉了", "very slow, the food was cold", "难吃，差评", "awful, cold"] * 5
    labels = ["1"] * 20 + ["0"] * 20
    classifier = TextClassifier().fit(texts, labels)

    positive, negative = classifier.predict(["味道很好，送餐很快", "菜都凉了，太慢"])

    assert (positive.label, negative.label) == ("1", "0")
    assert positive.top_terms
    assert negative.top_terms


def test_fit_rejects_a_single_label_and_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="at least two distinct labels"):
        TextClassifier().fit(["a", "b"], ["x", "x"])
    with pytest.raises(ValueError, match="2 texts but 1 labels"):
        TextClassifier().fit(["a", "b"], ["x"])
    with pytest.raises(ValueError, match="threshold"):
        TextClassifier(threshold=1.5)
    with pytest.raises(ValueError, match="needs training examples labelled 'oos'"):
        TextClassifier(none_label="oos", threshold="auto").fit(["a", "b"], ["x", "y"])


def test_untrained_classifier_refuses_to_predict() -> None:
    with pytest.raises(RuntimeError, match="not trained"):
        TextClassifier().predict(["hello"])


def test_settings_choose_character_ngrams_by_script() -> None:
    texts, labels = tickets()
    chinese = [(t, label) for t, label in zip(texts, labels, strict=True) if is_mostly_cjk(t)]
    english = [(t, label) for t, label in zip(texts, labels, strict=True) if not is_mostly_cjk(t)]

    zh = TextClassifier().fit([t for t, _ in chinese], [label for _, label in chinese])
    en = TextClassifier(settings=ClassifierSettings(c=1.0)).fit(
        [t for t, _ in english], [label for _, label in english]
    )

    assert zh.metadata["script"] == "cjk"
    assert zh.pipeline_.named_steps["features"].transformer_list[1][1].ngram_range == (1, 3)
    assert en.metadata["script"] == "latin"
    assert en.pipeline_.named_steps["features"].transformer_list[1][1].ngram_range == (2, 5)
    assert en.metadata["settings"]["c"] == 1.0


def test_prediction_is_a_plain_value() -> None:
    prediction = Prediction(label="refund", confidence=0.9, top_terms=("退款",))

    assert prediction == Prediction("refund", 0.9, ("退款",), ())


# ------------------------------------------------------------------- benchmark


@pytest.fixture
def train_and_test(tmp_path: Path) -> tuple[Path, Path]:
    texts, labels = tickets()
    train = write_csv(tmp_path / "train.csv", list(zip(texts, labels, strict=True)))
    test = write_csv(tmp_path / "test.csv", HELD_OUT)
    return train, test


def test_benchmark_prints_scores_and_a_machine_readable_last_line(
    train_and_test: tuple[Path, Path],
) -> None:
    train, test = train_and_test

    lines = benchmark("--train", str(train), "--test", str(test))

    match = LINE.match(lines[-1])
    assert match is not None, lines[-1]
    assert match.group(1) == "1.0000"
    assert match.group(2) == "1.0000"
    assert lines[0] == f"train: {train} (96 rows, 3 labels)"
    assert lines[1] == f"test: {test} (6 rows, 3 labels)"
    assert any(line.startswith("accuracy:             1.0000") for line in lines)
    table = [line.split()[0] for line in lines if line.split()[0] in TOPICS]
    assert sorted(table) == ["account", "delivery", "refund"]


def test_benchmark_reads_tsv_and_jsonl_with_named_columns(tmp_path: Path) -> None:
    texts, labels = tickets()
    train = tmp_path / "train.tsv"
    train.write_text(
        "category\tbody\n" + "".join(f"{b}\t{a}\n" for a, b in zip(texts, labels, strict=True)),
        encoding="utf-8",
    )
    test = tmp_path / "test.jsonl"
    test.write_text(
        "".join(
            json.dumps({"body": t, "category": c}, ensure_ascii=False) + "\n" for t, c in HELD_OUT
        ),
        encoding="utf-8",
    )

    lines = benchmark(
        "--train", str(train), "--test", str(test), "--text-col", "body", "--label-col", "category"
    )

    assert LINE.match(lines[-1])
    assert lines[-1].startswith("accuracy=1.0000 macro_f1=1.0000 ")


def test_benchmark_without_test_file_evaluates_on_a_dev_split(
    train_and_test: tuple[Path, Path],
) -> None:
    train, _test = train_and_test

    lines = benchmark("--train", str(train), "--dev-fraction", "0.25", "--seed", "1")

    assert lines[1] == "test: a dev split of TRAIN (25%, seed 1): 72 rows to train, 24 to evaluate"
    assert LINE.match(lines[-1])


def test_benchmark_reports_none_label_recall(tmp_path: Path) -> None:
    texts, labels = tickets()
    chatter = ["今天天气真好", "tell me a joke", "推荐一首歌", "play some music"] * 3
    train = write_csv(
        tmp_path / "train.csv",
        list(zip(texts + chatter, labels + ["oos"] * len(chatter), strict=True)),
    )
    test = write_csv(tmp_path / "test.csv", [*HELD_OUT, ("明天会下雨吗", "oos")])

    lines = benchmark("--train", str(train), "--test", str(test), "--none-label", "oos")

    assert any(line.startswith("in-scope accuracy:") for line in lines)
    assert any(line.startswith("oos recall:") for line in lines)
    assert LINE.match(lines[-1])


def test_benchmark_predicts_a_test_file_without_labels(tmp_path: Path) -> None:
    texts, labels = tickets()
    train = write_csv(tmp_path / "train.csv", list(zip(texts, labels, strict=True)))
    test = tmp_path / "unlabelled.csv"
    test.write_text("text\n我要退款\nwhere is my parcel\n", encoding="utf-8")

    lines = benchmark("--train", str(train), "--test", str(test))

    assert "test: no label column 'label': predictions only" in lines
    assert "        1  refund" in lines
    assert "        1  delivery" in lines
    assert lines[-1].startswith("predictions=2 train_s=")


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda d: ["--train", str(d / "missing.csv")], "file not found"),
        (lambda d: ["--train", str(d / "train.txt")], "unknown file type '.txt'"),
        (
            lambda d: ["--train", str(d / "train.csv"), "--text-col", "body"],
            "no text column 'body'; columns are: text, label",
        ),
        (
            lambda d: ["--train", str(d / "train.csv"), "--label-col", "intent"],
            "no label column 'intent'",
        ),
        (
            lambda d: ["--train", str(d / "one_label.csv")],
            "need at least two distinct labels to train, found only 'refund'",
        ),
        (
            lambda d: ["--train", str(d / "train.csv"), "--test", str(d / "bad_column.csv")],
            "no text column 'text'",
        ),
        (
            lambda d: ["--train", str(d / "bad.jsonl")],
            "line 2: invalid JSON",
        ),
        (
            lambda d: [
                "--train",
                str(d / "train.csv"),
                "--test",
                str(d / "train.csv"),
                "--dev-fraction",
                "0.2",
            ],
            "use it without --test",
        ),
        (lambda d: ["--train", str(d / "train.csv"), "--dev-fraction", "2"], "between 0 and 1"),
        (lambda d: ["--train", str(d / "train.csv"), "--threshold", "high"], "'auto' or a number"),
    ],
)
def test_benchmark_rejects_bad_input_with_a_clear_error(
    tmp_path: Path, make_args: Callable[[Path], list[str]], message: str
) -> None:
    texts, labels = tickets()
    write_csv(tmp_path / "train.csv", list(zip(texts, labels, strict=True)))
    (tmp_path / "train.txt").write_text("text,label\n", encoding="utf-8")
    write_csv(tmp_path / "one_label.csv", [("我要退款", "refund"), ("refund me", "refund")])
    write_csv(tmp_path / "bad_column.csv", [("x", "y")], header="body,label")
    (tmp_path / "bad.jsonl").write_text('{"text": "a", "label": "x"}\n{oops\n', encoding="utf-8")

    with pytest.raises(CommandError, match=re.escape(message)):
        benchmark(*make_args(tmp_path))
