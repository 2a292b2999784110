"""Lost updates: two people open the same grid or form, both save. The second is told (409),
keeps what they typed, and the first person's value stays; nobody's later change is silently
reverted by a page opened earlier, and a race noticed only at flush time is a 409, not a 500.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from appraisal.api.tokens import create_token
from appraisal.models import Appraisal, Review, User
from appraisal.runtime.cycles import figures
from appraisal.runtime.reviews import reviews
from tests.conftest import PASSWORD, alerts, field_errors
from tests.pages import form_data
from tests.runtime.conftest import appraisal_of


def browser(app, email: str):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def two_hr(app, make, company):
    make.member(company.org, "hr2@acme.example", roles=("admin",))
    return browser(app, "hr@acme.example"), browser(app, "hr2@acme.example")


def figures_of(db, company, key: str) -> dict:
    db.expire_all()
    review = db.scalar(
        select(Review).where(
            Review.slot == "data", Review.appraisal_id == appraisal_of(db, company, key).id
        )
    )
    return dict(review.values) if review else {}


def seed_figures(db, launched, values: dict):
    entries = [figures.Entry(number, key, v) for (number, key), v in values.items()]
    figures.set_figures(db, launched, entries, None)
    db.commit()


# -- the figures grid (12.6, 13.3) ---------------------------------------------------------


def test_a_grid_opened_earlier_does_not_revert_a_colleagues_later_change(
    db, company, launched, two_hr
):
    seed_figures(db, launched, {("A001", "sales"): "12000", ("P001", "sales"): "9000"})
    first, second = two_hr
    url = f"/cycles/{launched.id}/figures"
    mine, theirs = form_data(first.get(url).text, "figures-form"), None
    theirs = form_data(second.get(url).text, "figures-form")

    mine["fig|A001|sales"] = "13000"
    assert first.post(url, data=mine).status_code == 302
    theirs["fig|P001|sales"] = "9500"  # a different cell, on a page opened before
    assert second.post(url, data=theirs).status_code == 302

    assert figures_of(db, company, "ann")["sales"] == 13000
    assert figures_of(db, company, "pat")["sales"] == 9500


def test_the_same_cell_changed_by_both_the_second_is_told_and_keeps_what_they_typed(
    db, company, launched, two_hr
):
    seed_figures(db, launched, {("A001", "sales"): "12000"})
    first, second = two_hr
    url = f"/cycles/{launched.id}/figures"
    mine = form_data(first.get(url).text, "figures-form")
    theirs = form_data(second.get(url).text, "figures-form")

    mine["fig|A001|sales"] = "13000"
    assert first.post(url, data=mine).status_code == 302
    theirs["fig|A001|sales"] = "14000"
    theirs["fig|P001|sales"] = "7000"
    response = second.post(url, data=theirs)

    assert response.status_code == 409
    assert any("changed by someone else" in a for a in alerts(response.text, "warning"))
    assert "Changed meanwhile to 13000 by hr" in field_errors(response.text)
    assert 'value="14000"' in response.text and 'value="7000"' in response.text
    assert figures_of(db, company, "ann") == {"sales": 13000}  # all or nothing
    assert figures_of(db, company, "pat") == {}

    # saving the page again overwrites knowingly: the cell now starts from 13000
    again = form_data(response.text, "figures-form")
    assert again["was|fig|A001|sales"] == "13000" and again["fig|A001|sales"] == "14000"
    assert second.post(url, data=again).status_code == 302
    assert figures_of(db, company, "ann") == {"sales": 14000}
    assert figures_of(db, company, "pat") == {"sales": 7000}


def test_published_colleagues_unchanged_rows_do_not_block_the_figures_grid(
    db, company, launched, two_hr
):
    seed_figures(db, launched, {("P001", "sales"): "9000", ("A001", "sales"): "1"})
    pat = appraisal_of(db, company, "pat")
    pat.state = "published"
    db.commit()
    hr, _ = two_hr
    url = f"/cycles/{launched.id}/figures"
    page = form_data(hr.get(url).text, "figures-form")
    page["fig|A001|sales"] = "12000"
    assert hr.post(url, data=page).status_code == 302
    assert figures_of(db, company, "ann") == {"sales": 12000}

    page = form_data(hr.get(url).text, "figures-form")
    page["fig|P001|sales"] = "9999"  # a changed cell of a published appraisal is refused
    response = hr.post(url, data=page)
    assert response.status_code == 422
    assert "This appraisal is past calibration" in field_errors(response.text)
    assert figures_of(db, company, "pat") == {"sales": 9000}


def test_doors_without_a_page_skip_unchanged_values_of_published_appraisals(db, company, launched):
    """The file import and the API send no loaded values: a value equal to what is stored is
    unchanged, so re-importing last month's file does not fail on published colleagues."""
    seed_figures(db, launched, {("P001", "sales"): "9000"})
    appraisal_of(db, company, "pat").state = "published"
    db.commit()
    entries = [figures.Entry("P001", "sales", "9000.0"), figures.Entry("A001", "sales", "5")]
    assert figures.set_figures(db, launched, entries, None) == 1
    with pytest.raises(figures.EntriesRefused):
        figures.set_figures(db, launched, [figures.Entry("P001", "sales", "1")], None)


# -- the targets grid ----------------------------------------------------------------------


def test_targets_grid_refuses_a_cell_changed_since_it_was_loaded(app, db, make, company, launched):
    make.member(company.org, "hr2@acme.example", roles=("admin",))
    boss, hr = browser(app, "boss@acme.example"), browser(app, "hr@acme.example")
    url = f"/cycles/{launched.id}/targets"
    mine = form_data(boss.get(url).text, "targets-grid-form")
    theirs = form_data(hr.get(url).text, "targets-grid-form")

    mine["tgt|A001|sales"] = "50000"
    assert boss.post(url, data=mine).status_code == 302
    theirs["tgt|P001|sales"] = "40000"  # another cell: applies, and Ann's target stays
    assert hr.post(url, data=theirs).status_code == 302
    theirs["tgt|A001|sales"] = "60000"  # the cell Bo changed after HR's page was loaded
    response = hr.post(url, data=theirs)
    assert response.status_code == 409
    assert "Changed meanwhile to 50000" in field_errors(response.text)
    assert 'value="60000"' in response.text
    db.expire_all()
    assert appraisal_of(db, company, "ann").targets == {"sales": 50000}
    assert appraisal_of(db, company, "pat").targets == {"sales": 40000}


# -- the API ------------------------------------------------------------------------------


def test_api_writes_may_state_the_value_they_expect(app, db, company, launched):
    user = db.scalar(select(User).where(User.email == "hr@acme.example"))
    secret = create_token(db, company.org.id, user.id, "sync").secret
    db.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    url = f"/api/v1/cycles/{launched.id}/figures"
    body = {"figures": [{"employee_number": "A001", "key": "sales", "value": 100}]}
    assert client.put(url, json=body, headers=headers).status_code == 200

    stale = {"employee_number": "A001", "key": "sales", "value": 300, "expected": None}
    response = client.put(url, json={"figures": [stale]}, headers=headers)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "conflict"
    assert error["details"] == [
        {"path": "figures[0]", "message": "A001 sales: Changed meanwhile to 100 by hr"}
    ]
    assert figures_of(db, company, "ann") == {"sales": 100}

    fresh = stale | {"expected": 100}
    assert client.put(url, json={"figures": [fresh]}, headers=headers).status_code == 200
    assert figures_of(db, company, "ann") == {"sales": 300}
    # without `expected`, the last writer wins (documented)
    body["figures"][0]["value"] = 400
    assert client.put(url, json=body, headers=headers).status_code == 200
    assert figures_of(db, company, "ann") == {"sales": 400}


# -- review forms (12.7) -------------------------------------------------------------------


def _at_self_review(db, company):
    ann = appraisal_of(db, company, "ann")
    ann.state, ann.targets = "self_review", {"sales": 100000}
    db.commit()
    return ann


def test_two_first_saves_of_a_review_cannot_both_win(db, company, launched, two_hr):
    ann = _at_self_review(db, company)
    first, second = two_hr
    url = f"/appraisals/{ann.id}/review/hr"
    mine = form_data(first.get(url).text, "review-form")
    theirs = form_data(second.get(url).text, "review-form")
    assert mine["version"] == "0"  # no draft yet: the form says so

    assert first.post(url, data=mine | {"hr.award": "3", "action": "draft"}).status_code == 302
    response = second.post(url, data=theirs | {"hr.award": "5", "action": "draft"})
    assert response.status_code == 409
    assert "Someone else saved this form" in response.text
    assert 'value="5"' in response.text and "Saved meanwhile: 3" in response.text
    db.expire_all()
    assert db.scalar(select(Review.values).where(Review.slot == "hr")) == {"award": 3}


def _concurrently(monkeypatch, module, name, change):
    """Commit `change` from another session the first time `module.name` runs inside the
    request: after the service checked the version, before the request flushes."""
    original = getattr(module, name)
    done = []

    def racing(*args, **kwargs):
        if not done:
            done.append(True)
            change()
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, racing)


def test_a_save_racing_another_at_flush_time_is_a_409_not_a_500(
    app, db, company, launched, two_hr, monkeypatch
):
    ann = _at_self_review(db, company)
    first, _ = two_hr
    url = f"/appraisals/{ann.id}/review/hr"
    first.post(url, data={"hr.award": "1", "version": "0", "action": "draft"})
    page = form_data(first.get(url).text, "review-form")

    def other_person_saves():
        with app.extensions["appraisal.sessionmaker"]() as other:
            other.execute(
                update(Review)
                .where(Review.slot == "hr")
                .values(values={"award": 2}, version=Review.version + 1)
            )
            other.commit()

    _concurrently(monkeypatch, reviews, "refresh_result", other_person_saves)
    response = first.post(url, data=page | {"hr.award": "4", "action": "draft"})
    assert response.status_code == 409
    assert 'value="4"' in response.text and "Saved meanwhile: 2" in response.text
    db.expire_all()
    assert db.scalar(select(Review.values).where(Review.slot == "hr")) == {"award": 2}


def test_a_concurrent_first_insert_is_a_409_not_a_500(
    app, db, company, launched, two_hr, monkeypatch
):
    ann = _at_self_review(db, company)
    first, _ = two_hr
    url = f"/appraisals/{ann.id}/review/hr"
    page = form_data(first.get(url).text, "review-form")

    def other_person_saves_first():
        with app.extensions["appraisal.sessionmaker"]() as other:
            other.add(
                Review(
                    organization_id=company.org.id,
                    appraisal_id=ann.id,
                    slot="hr",
                    rater="hr",
                    values={"award": 2},
                )
            )
            other.commit()

    _concurrently(monkeypatch, reviews, "refresh_result", other_person_saves_first)
    response = first.post(url, data=page | {"hr.award": "4", "action": "draft"})
    assert response.status_code == 409
    assert 'value="4"' in response.text and "Saved meanwhile: 2" in response.text
    db.expire_all()
    assert db.scalar(select(Review.values).where(Review.slot == "hr")) == {"award": 2}


def test_a_grid_save_racing_another_on_the_same_row_is_retried_against_what_is_stored(
    app, db, company, launched, two_hr, monkeypatch
):
    seed_figures(db, launched, {("A001", "sales"): "12000"})
    hr, _ = two_hr
    url = f"/cycles/{launched.id}/figures"
    page = form_data(hr.get(url).text, "figures-form")
    ann_id = appraisal_of(db, company, "ann").id

    def colleague_saves(values):
        def change():
            with app.extensions["appraisal.sessionmaker"]() as other:
                other.execute(
                    update(Review)
                    .where(Review.slot == "data", Review.appraisal_id == ann_id)
                    .values(values=values, version=Review.version + 1)
                )
                other.execute(
                    update(Appraisal)
                    .where(Appraisal.id == ann_id)
                    .values(version=Appraisal.version + 1)
                )
                other.commit()

        return change

    # another cell of the same row: the retry applies both
    _concurrently(
        monkeypatch, figures, "refresh_result", colleague_saves({"sales": 12000, "collection": 90})
    )
    response = hr.post(url, data=page | {"fig|A001|sales": "15000"})
    assert response.status_code == 302
    assert figures_of(db, company, "ann") == {"sales": 15000, "collection": 90}

    # the same cell: the retry finds it changed and says so
    monkeypatch.undo()
    page = form_data(hr.get(url).text, "figures-form")
    _concurrently(
        monkeypatch, figures, "refresh_result", colleague_saves({"sales": 16000, "collection": 90})
    )
    response = hr.post(url, data=page | {"fig|A001|sales": "17000"})
    assert response.status_code == 409
    assert "Changed meanwhile to 16000" in " ".join(field_errors(response.text))
    assert figures_of(db, company, "ann") == {"sales": 16000, "collection": 90}
