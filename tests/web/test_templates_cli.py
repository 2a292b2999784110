"""`appraisal templates validate|score` on files."""

import json
import shutil
from pathlib import Path

EXAMPLE = Path(__file__).parents[1] / "rules" / "data" / "design_example.json"


def test_validate_accepts_a_valid_file(runner):
    result = runner.invoke(args=["templates", "validate", str(EXAMPLE)])
    assert result.exit_code == 0 and "valid" in result.output


def test_validate_lists_every_error_with_its_path(runner, tmp_path):
    definition = json.loads(EXAMPLE.read_text())
    definition["sections"][0]["weight"] = 69.99
    definition["outputs"][0]["formula"] = "LOOKUP(grad, ['S'], [1])"
    definition["extra"] = 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(definition))
    result = runner.invoke(args=["templates", "validate", str(bad)])
    assert result.exit_code == 1
    assert "sections: section weights add up to 99.99, not 100" in result.output
    # each element is named by its key (and name) beside its index (issue 14.8)
    assert (
        "outputs[0] (coefficient).formula: Unknown name `grad` — did you mean `grade`? (column 8)"
        in result.output
    )
    assert "extra: unknown field `extra`" in result.output
    assert "3 error(s)" in result.output and "Traceback" not in result.output


def test_validate_explains_unreadable_files(runner, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = runner.invoke(args=["templates", "validate", str(broken)])
    assert result.exit_code == 1 and "not valid JSON at line 1, column 2" in result.output
    missing = runner.invoke(args=["templates", "validate", str(tmp_path / "nope.json")])
    assert missing.exit_code == 1 and "cannot read it" in missing.output
    assert "Traceback" not in result.output + missing.output


def test_score_prints_the_result_json(runner, tmp_path):
    inputs = tmp_path / "input.json"
    inputs.write_text(
        json.dumps(
            {
                "targets": {"sales": 200000},
                "data": {"sales": 250000, "collection": 90, "complaints": 1},
                "self": {"customer_care": 4},
                "manager": {"customer_care": 5},
                "hr": {"award": 3, "fraud_cases": 0},
            }
        )
    )
    template = tmp_path / "template.json"
    shutil.copy(EXAMPLE, template)
    result = runner.invoke(args=["templates", "score", str(template), "--input", str(inputs)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == 102.9 and data["grade"] == "S" and data["complete"] is True
    assert data["outputs"] == {"coefficient": 1.5, "commission": 12000.0}
    assert "explanations" not in data
    explained = runner.invoke(
        args=["templates", "score", str(template), "--input", str(inputs), "--explain"]
    )
    assert "explanations" in json.loads(explained.output)
