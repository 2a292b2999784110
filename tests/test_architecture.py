"""The rules package stays pure: importing it loads no web, database or form library."""

import ast
import re
import subprocess
import sys
from pathlib import Path

FORBIDDEN = [
    "flask",
    "sqlalchemy",
    "marshmallow",
    "wtforms",
    "flask_babel",
    "werkzeug",
    "alembic",
    "jinja2",
]


def test_rules_imports_no_web_or_database_library():
    code = (
        "import sys, appraisal.rules, appraisal.rules.scoring, appraisal.rules.catalogue;"
        f"print([m for m in {FORBIDDEN!r} if m in sys.modules])"
    )
    # `appraisal/__init__.py` defines create_app but imports Flask only inside it.
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


PACKAGE = Path(__file__).parents[1] / "appraisal"


def _sources():
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path.relative_to(PACKAGE).as_posix(), path.read_text(encoding="utf-8")


SPREADSHEET_WRITERS = re.compile(
    r"csv\.(writer|DictWriter)|\bWorkbook\b|xlsxwriter|text/csv|\.to_csv\(|\.to_excel\("
)


def test_only_tables_writes_spreadsheets():
    """Every CSV and XLSX goes through `appraisal.tables`, which makes text cells safe
    (no live formulas, no control characters)."""
    offenders = [
        name
        for name, source in _sources()
        if name != "tables.py" and SPREADSHEET_WRITERS.search(source)
    ]
    assert offenders == []


# A regular expression literal whose pattern ends in `$`: `$` also matches before a final
# newline, so "key\n" passes `re.match(r"^[a-z]+$", …)`. Use `\Z` or `fullmatch`.
DOLLAR_AT_END = re.compile(r"""\br["'][^"'\n]*\$["']""")


def test_no_regex_ends_in_a_dollar():
    offenders = [
        f"{name}: {match.group()}"
        for name, source in _sources()
        for match in DOLLAR_AT_END.finditer(source)
    ]
    assert offenders == []


def test_key_patterns_are_matched_whole():
    uses = [
        f"{name}: {line.strip()}"
        for name, source in _sources()
        for line in source.splitlines()
        if re.search(r"\b(KEY|SLUG|EMAIL)\.match\(", line)
    ]
    assert uses == []


# -- views: one way to refuse, no queries; audit only in services ------------------------------

ROUTE_DECORATORS = {"route", "get", "post", "put", "patch", "delete"}
# The JSON API answers refusals with its own error body (`api.views._refused`, `ApiError`);
# the phone's photo upload answers JSON too (`{"errors": {field: message}}`).
JSON_API = {
    "api/views.py",
    "api/customers.py",
    "api/activities.py",
    "api/events.py",
    "api/photos.py",
    "runtime/fieldwork/photo_views.py",
}


def _trees():
    for name, source in _sources():
        yield name, ast.parse(source)


def _registers_routes(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.FunctionDef)
        and any(
            isinstance(d, ast.Call)
            and isinstance(d.func, ast.Attribute)
            and d.func.attr in ROUTE_DECORATORS
            for d in node.decorator_list
        )
        for node in ast.walk(tree)
    )


def _view_modules():
    return [(name, tree) for name, tree in _trees() if _registers_routes(tree)]


def _service_errors() -> set[str]:
    """Names of ServiceError and every class that derives from it, anywhere in the package."""
    bases: dict[str, set[str]] = {}
    for _name, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(
                    b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "")
                    for b in node.bases
                )
    family = {"ServiceError"}
    while True:
        more = {name for name, parents in bases.items() if parents & family} - family
        if not more:
            return family
        family |= more


def _caught(handler: ast.ExceptHandler) -> set[str]:
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return {t.attr if isinstance(t, ast.Attribute) else getattr(t, "id", "") for t in types if t}


def test_the_view_module_finder_finds_views():
    names = {name for name, _tree in _view_modules()}
    assert {
        "runtime/cycles/views.py",
        "runtime/reviews/views.py",
        "runtime/calibration/views.py",
        "runtime/act/views.py",
        "builder/designer.py",
        "people/views.py",
        "api/pages.py",
    } <= names
    assert "runtime/reviews/reviews.py" not in names


def test_refusals_are_one_family():
    from appraisal.backup import BackupRefused
    from appraisal.builder.draft import DraftError
    from appraisal.builder.services import DefinitionRefused
    from appraisal.concurrency import EditConflict
    from appraisal.errors import ServiceError
    from appraisal.people.imports import RowsRefused

    for refusal in (DraftError, DefinitionRefused, RowsRefused, BackupRefused, EditConflict):
        assert issubclass(refusal, ServiceError), refusal
    assert {"DraftError", "DefinitionRefused", "RowsRefused", "EditConflict"} <= _service_errors()


def test_html_views_refuse_only_through_attempt():
    """Every HTML view runs a change through `forms.attempt`, which rolls back, shows the
    refusal at its field and answers 409 or 422; a hand-written `except ServiceError` (or of
    any subclass) in a view module is how the ways of refusing drifted apart."""
    family = _service_errors()
    offenders = [
        f"{name}:{node.lineno}"
        for name, tree in _view_modules()
        if name not in JSON_API
        for node in ast.walk(tree)
        if isinstance(node, ast.ExceptHandler) and node.type and _caught(node) & family
    ]
    assert offenders == []


def test_views_run_no_queries():
    """Views parse, call a service and render: a `select(` belongs in a service."""
    offenders = [
        f"{name}:{node.lineno}"
        for name, tree in _view_modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) == "select"
    ]
    assert offenders == []


def _audit_calls():
    for name, tree in _trees():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "record"
                and getattr(node.func.value, "id", None) == "audit"
            ):
                action = node.args[3] if len(node.args) > 3 else None
                yield name, node, action


DRIVER_REACHED = re.compile(r"driver_connection|raw_connection\(|dbapi_connection")


def test_only_the_database_module_and_bulk_writes_reach_the_driver():
    """A read-only transaction ends with COMMIT on PostgreSQL (`db._end_reads_with_commit`):
    a row written through the driver is still seen (the transaction's id), a session setting
    changed there would not be. `bulk.py`'s COPY is the one write that goes around
    SQLAlchemy; anything else goes through its statements."""
    offenders = [
        name
        for name, source in _sources()
        if name not in ("db.py", "bulk.py") and DRIVER_REACHED.search(source)
    ]
    assert offenders == []


def test_only_services_record_audit_events():
    """A change made from a page, a command or the API leaves the same trail only when the
    service records it."""
    views = {name for name, _tree in _view_modules()}
    offenders = [
        f"{name}:{node.lineno}"
        for name, node, _action in _audit_calls()
        if name in views or Path(name).name == "commands.py"
    ]
    assert offenders == []


AREA_VERB = re.compile(r"[a-z_]+\.[a-z_]+")


def test_every_audit_action_is_named_area_verb_and_has_words():
    from appraisal.labels import AUDIT_ACTION, PLAN_KIND, RECORDED_BEFORE
    from appraisal.runtime import workflow

    recorded = set()
    for name, node, action in _audit_calls():
        assert action is not None, f"{name}:{node.lineno}: pass the action positionally"
        literals = {n.value for n in ast.walk(action) if isinstance(n, ast.Constant) and n.value}
        if isinstance(action, (ast.Constant, ast.IfExp)):
            recorded |= literals
    # The two actions put together from a vocabulary: workflow moves and plan kinds.
    recorded |= {f"appraisal.{t.action}" for t in workflow.TRANSITIONS}
    recorded |= {f"{kind}.created" for kind in PLAN_KIND}
    assert [a for a in sorted(recorded) if not AREA_VERB.fullmatch(a)] == []
    assert sorted(recorded - AUDIT_ACTION.keys()) == []
    assert set(RECORDED_BEFORE.values()) <= AUDIT_ACTION.keys()
    assert not set(RECORDED_BEFORE) & recorded


def test_every_audit_entity_has_words():
    """The audit log names what an event is about in the reader's language: an entity with
    no label reads as a code (`work_plan`) and warns at every write."""
    from appraisal.labels import AUDIT_ENTITY

    entities = {}
    for name, node, _action in _audit_calls():
        entity = node.args[4] if len(node.args) > 4 else None
        entity = entity or next((k.value for k in node.keywords if k.arg == "entity"), None)
        assert entity is not None, f"{name}:{node.lineno}: pass the entity"
        for literal in ast.walk(entity):
            if isinstance(literal, ast.Constant) and isinstance(literal.value, str):
                entities.setdefault(literal.value, f"{name}:{node.lineno}")
    assert {e: where for e, where in entities.items() if e not in AUDIT_ENTITY} == {}


# -- imports between the project's packages (style.md, "Dependency direction") ---------------


def _module(relative: str) -> str:
    parts = ["appraisal", *relative.removesuffix(".py").split("/")]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(relative: str, source: str):
    """(line, module) of every import in a module, relative imports made absolute; `from m
    import n` gives `m.n` too, since `n` may be a module."""
    package = _module(relative).split(".")
    if not relative.endswith("__init__.py"):
        package = package[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            yield node.lineno, module
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"


def _is_module(name: str) -> bool:
    path = PACKAGE.parent / name.replace(".", "/")
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def test_modules_share_no_private_helpers():
    """A helper two modules need has a public home (`access.in_org_or_404`, `runtime/web.py`
    for the runtime's views, `rules.definition.Checker`…), so no module reaches into another
    for an `_underscored` name — the next copy would otherwise be written beside it."""
    offenders = [
        f"{name}:{node.lineno} {alias.name}"
        for name, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name.startswith("_")
        and alias.name != "__future__"
        and not (alias.name == "_l" or alias.asname in ("_", "_l"))
    ]
    assert offenders == []


# The figures import maps columns to a template's items by its own rules
# (`figures.file_mapping_problems`) and remembers a mapping only once applied.
OWN_MAPPED_IMPORT = {"runtime/cycles/import_views.py"}
MAPPED_IMPORT_STEPS = {"mapping_problems", "mapped_rows", "remember_mapping", "remembered_mapping"}


def test_html_forms_live_in_forms_modules():
    """A WTForms class lives in its area's `forms.py` (or `*_forms.py`), where the next view
    looks for it before writing another (three copies of a version-only post did exist)."""
    offenders = [
        f"{name}:{node.lineno} {node.name}"
        for name, tree in _trees()
        if not name.rsplit("/", 1)[-1].endswith("forms.py")
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(getattr(b, "id", "").endswith(("Form", "FormBase")) for b in node.bases)
    ]
    assert offenders == []


def test_selects_are_the_forms_modules_own():
    """Every select field is `forms.SelectField` (or its multiple twin), whose widget draws
    options without WTForms' per-option attribute writer (a picker's 50 options cost the
    appraisal page 0.4 ms that way): WTForms' own imported elsewhere would bring it back."""
    offenders = [
        f"{name}:{node.lineno}"
        for name, tree in _trees()
        if name != "forms.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").startswith("wtforms")
        and {a.name for a in node.names} & {"SelectField", "SelectMultipleField", "Select"}
    ]
    assert offenders == []


def test_the_api_answers_a_conflict_in_its_own_words():
    """Every 409 of the API goes through `api.views.conflict_error` (the form's wording
    speaks of values kept below a form, which a program never sees)."""
    offenders = [
        name
        for name, source in _sources()
        if name.startswith("api/")
        and len(re.findall(r"ApiError\(\s*409", source))
        > (1 if "def conflict_error" in source else 0)
    ]
    assert offenders == []


def test_today_is_the_organizations():
    """A deadline, a period or a check-in counts in the organization's days
    (`Organization.today`); the server's `date.today()` is another zone's day for hours."""
    offenders = [
        name
        for name, source in _sources()
        if re.search(r"\bdate\.today\(\)|datetime\.now\(\)\.date\(\)", source)
    ]
    assert offenders == []


def test_page_arithmetic_lives_in_paging():
    """Page counts and offsets are `paging`'s (`paginate`, `paginate_list`, `page_count`): a
    hand-written copy is where an off-by-one or an unclamped page creeps in."""
    arithmetic = re.compile(r"-\(-.*?//|\(page - 1\) \* per_page", re.IGNORECASE)
    offenders = [
        name for name, source in _sources() if name != "paging.py" and arithmetic.search(source)
    ]
    assert offenders == []


def test_the_mapped_import_step_is_written_once():
    """A page that imports mapped rows goes through `import_flow` (check the mapping, dry run
    or apply, remember, commit); a view calling the steps itself is the next near-copy."""
    offenders = [
        f"{name}:{node.lineno} {called}"
        for name, tree in _view_modules()
        if name not in OWN_MAPPED_IMPORT
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (called := getattr(node.func, "id", None) or getattr(node.func, "attr", None))
        in MAPPED_IMPORT_STEPS
    ]
    assert offenders == []


def test_every_runtime_route_is_registered_by_init_app(app):
    """Each area's views declare `routes` and `runtime.init_app` registers them explicitly
    (no import side effects): a view module left out of `init_app` would serve nothing."""
    import importlib

    declared = {}
    for name, _tree in _view_modules():
        if name.startswith("runtime/"):
            module = importlib.import_module(_module(name))
            declared[name] = {view.__name__ for _, _, view in module.routes._rules}
    assert {"runtime/cycles/views.py", "runtime/act/views.py"} <= set(declared)
    registered = {
        e.removeprefix("runtime.") for e in app.view_functions if e.startswith("runtime.")
    }
    assert {name: views - registered for name, views in declared.items()} == {
        name: set() for name in declared
    }


def test_each_runtime_page_is_found_beside_its_area(app):
    """Each area keeps its pages in `<area>/templates/runtime/`, one namespace: a name is
    defined once (no area shadows another's page) and the blueprint finds every one."""
    pages = sorted((PACKAGE / "runtime").glob("*/templates/runtime/*.html"))
    names = [page.name for page in pages]
    assert len(pages) > 10 and len(names) == len(set(names))
    for page in pages:
        found = app.jinja_env.get_template(f"runtime/{page.name}").filename
        assert Path(found).resolve() == page.resolve()


def test_runtime_never_imports_builder():
    offenders = [
        f"{name}:{line} {module}"
        for name, source in _sources()
        if name.startswith("runtime/")
        for line, module in _imports(name, source)
        if module == "appraisal.builder" or module.startswith("appraisal.builder.")
    ]
    assert offenders == []


def test_models_and_states_import_no_web_library():
    """Models are plain SQLAlchemy (the CLI, migrations and scripts load them without an
    app); the state vocabulary and the state machine are pure."""
    code = (
        "import sys, appraisal.models, appraisal.states;"
        f"print([m for m in {FORBIDDEN!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['sqlalchemy']"
    workflow = (PACKAGE / "runtime/workflow.py").read_text(encoding="utf-8")
    project = {m for _, m in _imports("runtime/workflow.py", workflow) if m.startswith("appraisal")}
    assert {m.split(".")[1] for m in project} == {"states"}


def test_only_the_public_api_of_rules_is_imported_outside_it():
    """`appraisal.rules` is used through what its `__init__` exports, so its inside can be
    rearranged (one scoring registry, a split validator) without touching its users."""
    offenders = [
        f"{name}:{line} {module}"
        for name, source in _sources()
        if not name.startswith("rules/")
        for line, module in _imports(name, source)
        if module.startswith("appraisal.rules.") and _is_module(module)
    ]
    assert offenders == []


# -- states move only through the state machine (issue 15.7) ---------------------------------


def _from_workflow(value: ast.expr) -> bool:
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and isinstance(value.func.value, ast.Name)
        and value.func.value.id == "workflow"
    )


def test_states_move_only_through_the_workflow():
    """Every `x.state = …` takes its value from a `workflow` function (the transition tables),
    and no code sets `state=` when building or updating a row; new rows start in the
    model's default state."""
    offenders = []
    for name, source in _sources():
        if name == "runtime/workflow.py":
            continue
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                moves = any(isinstance(t, ast.Attribute) and t.attr == "state" for t in targets)
                if moves and not _from_workflow(node.value):
                    offenders.append(f"{name}:{node.lineno}")
            elif isinstance(node, ast.Call) and any(k.arg == "state" for k in node.keywords):
                offenders.append(f"{name}:{node.lineno} state=")
    assert offenders == []


def test_the_application_imports_no_test_only_library():
    """The dev extra (pyproject.toml) is not installed in production."""
    dev_only = ("simpleeval", "hypothesis", "pytest", "playwright", "schemathesis", "aiosmtpd")
    offenders = [
        f"{name}:{line} {module}"
        for name, source in _sources()
        for line, module in _imports(name, source)
        if module.split(".")[0] in dev_only
    ]
    assert offenders == []


LONGEST_RULES_FUNCTION = 80  # lines, decorators and docstring included


def test_no_function_in_rules_is_over_80_lines():
    """The pure core stays readable: a long validator or scorer is split along its seams
    (as `definition._build` is into header, sections, items, adjustments and outputs)."""
    import ast

    too_long = []
    for path in sorted((PACKAGE / "rules").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                length = node.end_lineno - start + 1
                if length > LONGEST_RULES_FUNCTION:
                    too_long.append(f"{path.name}::{node.name} ({length} lines)")
    assert too_long == []


def test_every_browser_test_is_marked_e2e():
    """CI runs the browser journeys alone (`-m e2e`) before the rest (`-m "not e2e"`, two
    suites side by side): a browser test without the marker would run under that load."""
    e2e = Path(__file__).parent / "e2e"
    unmarked = [
        path.name
        for path in sorted(e2e.glob("test_*.py"))
        if "pytestmark = pytest.mark.e2e" not in path.read_text(encoding="utf-8")
    ]
    assert unmarked == []


def test_browser_waits_are_given_functions_not_expressions():
    """Playwright evals a `wait_for_function` expression again at every poll, and the app's
    CSP refuses eval outside the first, DevTools-run check: an expression that is not true at
    once fails the journey (as the field journey's service-worker wait did under load). A
    function is evaluated once and then called."""
    expressions = []
    for path in sorted((Path(__file__).parent / "e2e").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "wait_for_function"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and not re.match(r"\s*(\(.*?\)|\w+)\s*=>", node.args[0].value)
            ):
                expressions.append(f"{path.name}:{node.lineno}")
    assert expressions == []


PAGE_TEXT = re.compile(r"\.text\b|get_data\(|^\w+$")


def test_short_words_are_looked_for_in_pages_without_their_tokens():
    """A page carries random CSRF tokens, and a name of two or three letters ("C4", "Ann")
    turns up in one now and then: a test asserting such a word is absent from a page reads
    the page through `tests.pages.without_tokens`, or it fails one run in a few hundred. Text
    that is no page (a CSV, an audit record) says so at the end of the line."""
    chancy = []
    for path in sorted(Path(__file__).parent.rglob("test_*.py")):
        source_lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(source_lines))):
            if not (isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant)):
                continue
            if source_lines[node.lineno - 1].endswith("# not a page"):
                continue
            word = node.left.value
            for op, target in zip(node.ops, node.comparators, strict=True):
                source = ast.unparse(target)
                if (
                    isinstance(op, ast.NotIn)
                    and isinstance(word, str)
                    and re.fullmatch(r"[A-Za-z0-9_.-]{1,3}", word)
                    and PAGE_TEXT.search(source)
                    and not source.startswith("without_tokens(")
                    and ".json" not in source  # JSON answers carry no token
                ):
                    chancy.append(f"{path.relative_to(Path(__file__).parent)}:{node.lineno}")
    assert chancy == []
