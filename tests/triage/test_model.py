"""The learned model: its file cannot run code and is checked, its inference is scikit-learn's, its
training is reproducible, and the safety layer only ever raises."""

from __future__ import annotations

import gzip
import hashlib
import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from hotline.triage.decide import Triage, decide
from hotline.triage.engine import default_engine
from hotline.triage.features import TfidfTransform, report_document, split_document
from hotline.triage.model import MANIFEST_FILE, MODEL_FILE, ModelError, Prediction, TriageModel, default_model
from hotline.triage.model import default_model_directory as model_directory
from hotline.triage.training import read_examples, train
from tests.triage.conftest import FIXTURES


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(model_directory(), target)
    return target


def test_the_package_ships_a_model_that_loads() -> None:
    """The wheel carries a trained model whose manifest names its hash, its training data and its version."""
    model = default_model()
    assert model is not None
    manifest = json.loads((model_directory() / MANIFEST_FILE).read_text())
    assert (
        manifest["model_sha256"] == hashlib.sha256((model_directory() / MODEL_FILE).read_bytes()).hexdigest()
    )
    assert len(manifest["training_sha256"]) == 64
    assert manifest["training_reports"] >= 3000
    assert {"category", "severity", "form", "minor", "imminent", "abroad", "language"} <= {
        h.name for h in model.heads
    }


def test_the_shipped_model_was_trained_on_the_shipped_corpus() -> None:
    """The manifest's training hash is the corpus's: a corpus change without retraining fails here."""
    from hotline.triage.training import corpus_digest
    from hotline.triage.training_run import corpus_directory, corpus_files

    manifest = json.loads((model_directory() / MANIFEST_FILE).read_text())
    examples = read_examples(corpus_files(corpus_directory()))
    assert manifest["training_sha256"] == corpus_digest(examples), "run `hotline triage train --install`"
    assert manifest["training_reports"] == len(examples)


def test_a_model_file_changed_on_disk_is_refused(model_copy: Path) -> None:
    """A model whose bytes are not the ones its manifest hashed is never used."""
    raw = bytearray((model_copy / MODEL_FILE).read_bytes())
    raw[-1] ^= 0xFF
    (model_copy / MODEL_FILE).write_bytes(bytes(raw))
    with pytest.raises(ModelError, match="SHA-256"):
        TriageModel.from_directory(model_copy)


def test_a_pickle_in_place_of_the_model_is_refused_even_with_a_matching_manifest(model_copy: Path) -> None:
    """The format is data only: a pickle (code on load) is rejected as not a model, never unpickled."""
    payload = gzip.compress(pickle.dumps({"weights": [1, 2, 3]}), mtime=0)
    (model_copy / MODEL_FILE).write_bytes(payload)
    manifest = json.loads((model_copy / MANIFEST_FILE).read_text())
    manifest["model_sha256"] = hashlib.sha256(payload).hexdigest()
    (model_copy / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="bad magic"):
        TriageModel.from_directory(model_copy)


def test_inference_computes_the_vectors_scikit_learn_computes() -> None:
    """The numpy transform gives scikit-learn's TF-IDF vectors (sublinear tf, smooth idf, l2) to 1e-12."""
    reports = [json.loads(line) for line in (FIXTURES / "dev.jsonl").read_text().splitlines()]
    engine = default_engine()
    documents = [report_document(r["text"], engine.analyse(r["text"]).signals) for r in reports]
    vectorizer = TfidfVectorizer(analyzer=split_document, sublinear_tf=True, min_df=2).fit(documents[:80])
    ours = TfidfTransform([str(f) for f in vectorizer.get_feature_names_out()], vectorizer.idf_)
    theirs = vectorizer.transform(documents[80:])
    for row, document in enumerate(documents[80:]):
        columns, values = ours.transform(split_document(document))
        expected = theirs[row].toarray()[0]
        got = np.zeros_like(expected)
        got[columns] = values
        assert np.allclose(got, expected, atol=1e-12)


def test_training_twice_on_the_same_reports_gives_the_same_bytes() -> None:
    """`hotline triage train` is reproducible: a fixed seed and no timestamps give byte-identical files."""
    examples = read_examples([FIXTURES / "dev.jsonl", FIXTURES / "rough.jsonl"])
    fixed = {"critical": 0.35, "imminent": 0.5, "non_actionable": 0.5, "doubt": 0.4, "minor": 0.5}
    first = train(examples, default_engine(), triage_version="test", folds=2, thresholds=fixed, c=0.5)
    second = train(examples, default_engine(), triage_version="test", folds=2, thresholds=fixed, c=0.5)
    assert first.model == second.model
    assert first.manifest == second.manifest
    reloaded = TriageModel(first.model)
    assert reloaded.thresholds == fixed


def _prediction(category: str, severity: str, *, imminent: float = 0.01, minor: float = 0.01) -> Prediction:
    def peaked(classes: tuple[str, ...], best: str) -> dict[str, float]:
        rest = (1.0 - 0.9) / (len(classes) - 1)
        return {c: 0.9 if c == best else rest for c in classes}

    from hotline.triage.assessment import CATEGORIES, FORMS, LANGUAGES, SEVERITIES

    return Prediction(
        {
            "category": peaked(CATEGORIES, category),
            "severity": peaked(tuple(SEVERITIES), severity),
            "form": peaked(FORMS, "labour"),
            "minor": {"no": 1 - minor, "yes": minor},
            "imminent": {"no": 1 - imminent, "yes": imminent},
            "abroad": {"no": 0.9, "yes": 0.1},
            "language": peaked(LANGUAGES, "fr"),
        },
        {},
    )


THRESHOLDS = {"critical": 0.35, "imminent": 0.5, "non_actionable": 0.5, "doubt": 0.45, "minor": 0.5}


def test_a_safety_rule_raises_a_model_that_says_low() -> None:
    """A confinement the rules find makes the case critical and imminent even when the model says low."""
    view = default_engine().analyse("on m'a enfermée dans une chambre à Akwa, le patron a pris mon passeport")
    got = decide(view, _prediction("trafficking", "low"), THRESHOLDS)
    assert (got.severity, got.imminent_danger) == ("critical", True)
    assert got.reasons[0].startswith("severity critical: safety rule: locked up now")


def test_the_rules_never_lower_the_models_verdict() -> None:
    """When the model says critical and the rules find nothing urgent, the case stays critical."""
    view = default_engine().analyse("ils disent que ce soir c'est fini pour moi")
    assert view.assessment.severity != "critical"
    got = decide(view, _prediction("trafficking", "critical", imminent=0.9), THRESHOLDS)
    assert (got.severity, got.imminent_danger) == ("critical", True)


def test_non_actionable_needs_the_models_positive_evidence() -> None:
    """A model leaning non_actionable below its threshold gives the likeliest case category, at least medium."""
    view = default_engine().analyse("svp quelqu'un peut m'aider")
    unsure = _prediction("non_actionable", "low")
    unsure.probabilities["category"].update({"non_actionable": 0.4, "trafficking": 0.35, "information": 0.1})
    got = decide(view, unsure, THRESHOLDS)
    assert got.category == "trafficking"
    assert got.severity in ("medium", "high", "critical")


def test_an_answer_of_danger_now_is_critical_whatever_the_model_says() -> None:
    """The caller pressing "danger now" makes the case critical and imminent."""
    view = default_engine().analyse("bonjour", answers={"danger_now": True})
    got = decide(view, _prediction("non_actionable", "low"), THRESHOLDS, {"danger_now": True})
    assert (got.severity, got.imminent_danger) == ("critical", True)
    assert got.category != "non_actionable"


def test_reasons_name_the_words_that_weighed_most() -> None:
    """The assessment lists the model's top evidence words beside every safety rule that fired."""
    triage = Triage(default_engine(), default_model())
    got = triage.assess(
        "My brother was kidnapped in Sabha, they want 2 million or they will kill him tonight"
    )
    assert got.severity == "critical"
    assert got.reasons[0].startswith("severity critical:")
    assert any("'" in r for r in got.reasons[:2]), got.reasons


def test_reasons_are_said_in_the_agents_language() -> None:
    """A French-speaking agent reads the verdict's reasons in French, the caller's words untouched."""
    from hotline.triage.reasons import explain

    assert explain("severity critical: safety rule: locked up now", "fr") == (
        "gravité critique : règle de sécurité : enfermé(e) maintenant"
    )
    assert explain("category trafficking: model 0.93 ('enfermée')", "fr") == (
        "catégorie traite : modèle 0,93 ('enfermée')"
    )
    assert explain("answer: danger now = yes", "fr") == "réponse : danger maintenant = oui"
    assert explain("severity critical: safety rule: locked up now", "en").startswith("severity critical")


def test_every_concept_of_the_lexicon_has_a_french_label() -> None:
    """Each lexicon concept an assessment may quote is said in French to a French-speaking agent."""
    from hotline.triage.reasons import CONCEPT_FR, explain

    labels = {c.label for c in default_engine().knowledge.lexicon.concepts.values()}
    assert labels - set(CONCEPT_FR) == set()
    assert explain("withholding of wages: 'jamais payée'", "fr") == "retenue des salaires : 'jamais payée'"
