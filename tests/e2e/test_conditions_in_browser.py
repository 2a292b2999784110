"""Form conditions and photo resizing in a real browser (Chromium), on a page of the app's
origin under the app's Content-Security-Policy, with the scripts from the app's static URL.

- conditions.js decides hundreds of generated conditions × values as the server's engine
  does (`check_activity_values`, `Formula.evaluate_exact`, blank or error = false);
- on a record form built with `condition_attributes`, wrappers hide (inputs disabled, not
  sent) and inputs become required as the user types, top to bottom like the server;
- photos.js makes a JPEG of at most 1600 px from a large PNG, upright, without metadata.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator

import pytest
from jinja2 import Environment

from appraisal.rules import compile_activity, condition_tree, field_rule
from appraisal.runtime.fieldwork.conditions_markup import condition_attributes
from appraisal.security import CONTENT_SECURITY_POLICY
from tests.conftest import serving
from tests.rules import condition_cases

pytestmark = pytest.mark.e2e

SCRIPTS = ["/static/fieldwork/conditions.js", "/static/fieldwork/photos.js"]


class Lab:
    """A page at `/lab` on the app's origin: the body given, the field scripts, the CSP."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.problems: list[str] = []
        page.on("pageerror", lambda error: self.problems.append(str(error)))
        page.on(
            "console",
            lambda message: message.type == "error" and self.problems.append(message.text),
        )

    def open(self, body: str = ""):
        scripts = "".join(f'<script src="{src}"></script>' for src in SCRIPTS)
        html = f'<!doctype html><html><head><meta charset="utf-8">{scripts}</head><body>{body}'
        html += "</body></html>"
        self.page.route(
            f"{self.base_url}/lab",
            lambda route: route.fulfill(
                status=200,
                content_type="text/html; charset=utf-8",
                headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY},
                body=html,
            ),
        )
        self.page.goto("/lab")
        self.page.wait_for_function("() => window.fieldConditions && window.fieldPhotos")
        return self.page


@pytest.fixture
def lab(browser, app) -> Iterator[Lab]:
    with serving(app) as url:
        context = browser.new_context(base_url=url, locale="en-US")
        page = context.new_page()
        page.set_default_timeout(10_000)
        lab = Lab(page, url)
        yield lab
        context.close()
    assert lab.problems == []  # no script error, no CSP violation


# -- the same answers as the server -----------------------------------------------------------

DECIDE = """cases => cases.map(c => {
  const values = {};
  for (const [key, rule] of c.rules) {
    const value = fieldConditions.parseValue(rule, key in c.raw ? c.raw[key] : null);
    if (value !== null) { values[key] = value; }
  }
  return fieldConditions.holds(c.tree, values);
})"""


def test_the_browser_decides_conditions_as_the_server_does(lab):
    page = lab.open()
    cases = condition_cases.HANDPICKED + condition_cases.generated(
        seed=16, formulas=300, values_each=3
    )
    compiled_forms: dict[str, object] = {}
    payload, expected = [], []
    for source, raw in cases:
        compiled = compiled_forms.get(source) or condition_cases.activity(source)
        compiled_forms[source] = compiled
        tree = condition_tree(compiled.field(condition_cases.TARGET).visible_if)
        rules = [[f.key, field_rule(f)] for f in compiled.fields if f.key != condition_cases.TARGET]
        payload.append({"tree": tree, "rules": rules, "raw": raw})
        expected.append(condition_cases.server_shows(compiled, raw))

    answers = page.evaluate(DECIDE, payload)

    wrong = [
        (source, raw, want, got)
        for (source, raw), want, got in zip(cases, expected, answers, strict=True)
        if want is not got
    ]
    assert wrong == []
    assert len(answers) > 900
    assert 0.2 < sum(expected) / len(expected) < 0.8  # not one answer everywhere


def test_values_the_server_refuses_are_blank_in_the_browser_too(lab):
    page = lab.open()
    parsed = page.evaluate(
        """() => {
          const p = fieldConditions.parseValue;
          const show = v => v === null ? null : v instanceof fieldConditions.Dec
            ? 'dec:' + v.c + 'e' + v.e : v instanceof fieldConditions.Day ? 'day:' + v.n : v;
          const number = {type: 'number', limit: '1E+12', min: '0', max: '10'};
          return [
            p(number, ' 1,0 '), p(number, '10.01'), p(number, '１'), p(number, 'abc'),
            p({type: 'money', limit: '1E+12'}, '1.005'), p({type: 'money', limit: '1E+12'}, '1.50'),
            p({type: 'text', limit: 3}, ' abc '), p({type: 'text', limit: 3}, 'abcd'),
            p({type: 'text', limit: 3}, '\\u3000'), p({type: 'yes_no'}, ' ON '),
            p({type: 'date'}, '2025-02-29'), p({type: 'date'}, '1970-01-02'),
            p({type: 'photos', limit: 3}, 4), p({type: 'photos', limit: 3}, 0),
            p({type: 'multi_choice', options: ['a', 'b']}, ['b', 'a']),
            p({type: 'multi_choice', options: ['a', 'b']}, ['c']),
            p({type: 'choice', options: ['a']}, ' a'),
          ].map(show);
        }"""
    )
    assert parsed == [
        "dec:10e0",
        None,
        "dec:1e0",
        None,
        None,
        "dec:150e-2",
        "abc",
        None,
        None,
        True,
        None,
        "day:1",
        None,
        None,
        ["a", "b"],
        None,
        None,
    ]


# -- the record form ---------------------------------------------------------------------------

VISIT = {
    "format": "activity/1",
    "key": "visit",
    "name": "Visit",
    "fields": [
        {
            "key": "purpose",
            "label": "Purpose",
            "type": "choice",
            "options": [{"key": "demo", "label": "Demo"}, {"key": "collect", "label": "Collect"}],
        },
        {
            "key": "amount",
            "label": "Amount",
            "type": "money",
            "required": True,
            "visible_if": "purpose == 'collect'",
        },
        {"key": "reason", "label": "Why so much", "type": "text", "required": "amount > 1000"},
        {"key": "exact", "label": "0.3", "type": "text", "visible_if": "amount + 0.2 == 0.3"},
        {
            "key": "tags",
            "label": "Tags",
            "type": "multi_choice",
            "options": [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}],
            "required": "amount > 0",
        },
        {"key": "photos", "label": "Photos", "type": "photos", "max_photos": 3},
        {"key": "note", "label": "Note", "type": "long_text", "visible_if": "photos >= 2"},
        {"key": "who", "label": "Who", "type": "text", "visible_if": "reason == '<\"中\">'"},
        {"key": "late", "label": "Late", "type": "text", "visible_if": "ROUND(1.5) == 2"},
    ],
}

FORM = Environment(autoescape=True).from_string(
    """<form data-outbox="/field/sync" data-type="visit" id="form">
{% for f in fields %}<div class="mb-3" data-field="{{ f.key }}"{{ attrs(f)|xmlattr }}>
<label>{{ f.label }}</label>
{% if f.type == 'choice' %}<select name="{{ f.key }}"><option value=""></option>
{% for k in f.option_keys %}<option value="{{ k }}">{{ k }}</option>{% endfor %}</select>
{% elif f.type == 'multi_choice' %}{% for k in f.option_keys %}
<input type="checkbox" name="{{ f.key }}" value="{{ k }}" id="{{ f.key }}-{{ k }}">{% endfor %}
{% elif f.type == 'photos' %}<input type="file" name="{{ f.key }}" multiple accept="image/*">
{% elif f.type == 'long_text' %}<textarea name="{{ f.key }}"></textarea>
{% else %}<input name="{{ f.key }}"{% if f.required %} required{% endif %}>{% endif %}
</div>{% endfor %}</form>"""
)


def wrapper(page, key):
    return page.locator(f'[data-field="{key}"]')


def control(page, key):
    return page.locator(f'[name="{key}"]').first


def sent(page) -> list[str]:
    return page.evaluate("() => [...new FormData(document.getElementById('form')).keys()]")


def test_fields_show_hide_and_become_required_as_the_user_types(lab):
    from playwright.sync_api import expect

    compiled = compile_activity(VISIT)
    page = lab.open(FORM.render(fields=compiled.fields, attrs=condition_attributes))

    # nothing chosen: the amount is hidden, its input disabled and not sent
    expect(wrapper(page, "amount")).to_be_hidden()
    expect(control(page, "amount")).to_be_disabled()
    assert "amount" not in sent(page)
    expect(control(page, "reason")).not_to_have_attribute("required", "")
    expect(wrapper(page, "late")).to_be_visible()  # ROUND is the server's to decide

    control(page, "purpose").select_option("collect")
    expect(wrapper(page, "amount")).to_be_visible()
    expect(control(page, "amount")).to_be_enabled()
    expect(control(page, "amount")).to_have_attribute("required", "")  # the page's own, kept

    control(page, "amount").fill("0.1")
    expect(wrapper(page, "exact")).to_be_visible()  # 0.1 + 0.2 == 0.3, exactly
    for box in ("tags-a", "tags-b"):  # required group: one box will do
        expect(page.locator(f"#{box}")).to_have_attribute("required", "")
    page.locator("#tags-b").check()
    expect(page.locator("#tags-a")).not_to_have_attribute("required", "")

    control(page, "amount").fill("1000.01")
    expect(wrapper(page, "exact")).to_be_hidden()
    expect(control(page, "reason")).to_have_attribute("required", "")
    expect(wrapper(page, "reason")).to_have_attribute("data-required", "")
    control(page, "amount").fill("1000")
    expect(control(page, "reason")).not_to_have_attribute("required", "")
    control(page, "amount").fill("1000.001")  # not an amount the server takes: blank
    expect(control(page, "reason")).not_to_have_attribute("required", "")

    control(page, "amount").fill("5000")
    expect(control(page, "reason")).to_have_attribute("required", "")
    control(page, "purpose").select_option("demo")  # the amount hides: blank below it
    expect(control(page, "amount")).to_be_disabled()
    expect(control(page, "reason")).not_to_have_attribute("required", "")
    assert "amount" not in sent(page)

    # text with quotes and brackets survives the attribute and compares exactly
    control(page, "reason").fill('<"中">')
    expect(wrapper(page, "who")).to_be_visible()
    control(page, "reason").fill("<中>")
    expect(wrapper(page, "who")).to_be_hidden()

    png = {"name": "a.png", "mimeType": "image/png", "buffer": _png(8, 8)}
    page.locator('input[name="photos"]').set_input_files([png])
    expect(wrapper(page, "note")).to_be_hidden()
    page.locator('input[name="photos"]').set_input_files([png, {**png, "name": "b.png"}])
    expect(wrapper(page, "note")).to_be_visible()
    expect(control(page, "note")).to_be_enabled()


def test_a_form_built_by_script_is_bound_on_request(lab):
    """The phone page may draw its form after loading; `bind` evaluates it then."""
    page = lab.open('<div id="place"></div>')
    compiled = compile_activity(VISIT)
    html = FORM.render(fields=compiled.fields, attrs=condition_attributes)
    page.evaluate(
        """html => {
          const place = document.getElementById('place');
          place.insertAdjacentHTML('beforeend', html);
          fieldConditions.bind(document.getElementById('form'));
        }""",
        html,
    )
    from playwright.sync_api import expect

    expect(wrapper(page, "amount")).to_be_hidden()
    control(page, "purpose").select_option("collect")
    expect(wrapper(page, "amount")).to_be_visible()


# -- photos ------------------------------------------------------------------------------------


def _png(width: int, height: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


RESIZE = """async ([data, type, edge]) => {
  const bytes = Uint8Array.from(atob(data), ch => ch.charCodeAt(0));
  const file = new File([bytes], 'photo', {type: type});
  const out = await fieldPhotos.resizePhoto(file, edge);
  const picture = await createImageBitmap(out);
  const head = new Uint8Array(await out.arrayBuffer());
  return {type: out.type, width: picture.width, height: picture.height, size: out.size,
          bytes: btoa(String.fromCharCode(...head))};
}"""


def test_a_large_png_becomes_a_jpeg_of_at_most_1600_px(lab):
    page = lab.open()
    result = page.evaluate(
        """async () => {
          const canvas = document.createElement('canvas');
          canvas.width = 4000;
          canvas.height = 3000;
          const context = canvas.getContext('2d');
          const gradient = context.createLinearGradient(0, 0, 4000, 3000);
          gradient.addColorStop(0, '#0a6');
          gradient.addColorStop(1, '#fc3');
          context.fillStyle = gradient;
          context.fillRect(0, 0, 4000, 3000);
          const png = await new Promise(done => canvas.toBlob(done, 'image/png'));
          const big = new File([png], 'big.png', {type: 'image/png'});
          const out = await fieldPhotos.resizePhoto(big);
          const picture = await createImageBitmap(out);
          const head = new Uint8Array(await out.slice(0, 3).arrayBuffer());
          return {type: out.type, width: picture.width, height: picture.height,
                  size: out.size, pngSize: png.size, head: [...head]};
        }"""
    )
    assert result["type"] == "image/jpeg"
    assert (result["width"], result["height"]) == (1600, 1200)
    assert result["head"] == [0xFF, 0xD8, 0xFF]
    assert result["size"] < result["pngSize"]


def test_a_photo_is_turned_upright_and_loses_its_metadata(lab):
    """A camera stores the picture sideways with EXIF orientation 6 (turn 90°) and its make;
    the resized JPEG is upright and carries neither."""
    from PIL import Image

    image = Image.new("RGB", (400, 200), (20, 120, 220))  # as stored: landscape
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    exif[0x010F] = "TestCam"  # Make
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    assert b"TestCam" in buffer.getvalue()

    page = lab.open()
    data = base64.b64encode(buffer.getvalue()).decode()
    result = page.evaluate(RESIZE, [data, "image/jpeg", 100])

    assert (result["width"], result["height"]) == (50, 100)  # upright: portrait
    out = base64.b64decode(result["bytes"])
    assert b"TestCam" not in out
    assert b"Exif\x00\x00" not in out
    with Image.open(io.BytesIO(out)) as resized:
        assert resized.size == (50, 100)
        assert not resized.getexif()


def test_small_photos_are_not_enlarged(lab):
    page = lab.open()
    data = base64.b64encode(_png(300, 200)).decode()
    result = page.evaluate(RESIZE, [data, "image/png", None])
    assert (result["type"], result["width"], result["height"]) == ("image/jpeg", 300, 200)


def test_prepare_keeps_the_original_when_asked_or_when_it_cannot_decode(lab):
    page = lab.open()
    names = page.evaluate(
        """async () => {
          const broken = new File([new Uint8Array([1, 2, 3])], 'x.heic', {type: 'image/heic'});
          const kept = new File([new Uint8Array([9])], 'gps.jpg', {type: 'image/jpeg'});
          const a = await fieldPhotos.preparePhoto(broken);
          const b = await fieldPhotos.preparePhoto(kept, {keepMetadata: true});
          return [a === broken, b === kept];
        }"""
    )
    assert names == [True, True]
