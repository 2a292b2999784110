from appraisal.markdown import render_markdown


def test_markdown_is_rendered_without_letting_html_or_script_links_through():
    html = render_markdown(
        "# T\n\n**bold** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=y>"
    )
    assert "<h1>T</h1>" in html and "<strong>bold</strong>" in html
    assert "<script>" not in html and "<img" not in html
    assert 'href="javascript:' not in html
