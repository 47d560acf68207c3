"""Markdown for user content: markdown-it-py renders, nh3 sanitises with an explicit allowlist.

Store the source, store or cache the output of render_markdown(), and mark only that output
safe in templates.
"""

import nh3
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from markdown_it import MarkdownIt

# "js-default" escapes raw HTML; "commonmark" would pass <script> straight through.
_md = MarkdownIt("js-default").disable(["image"])

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
LINK_REL = "nofollow ugc noopener noreferrer"
MAX_NESTING = 20


def render_markdown(source: str) -> str:
    # Headings are shifted down so user content never competes with the page's own <h1>/<h2>.
    html = _md.render(source or "")
    for level in (2, 1):
        html = html.replace(f"<h{level}>", f"<h{level + 2}>").replace(
            f"</h{level}>", f"</h{level + 2}>"
        )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=LINK_REL,
        strip_comments=True,
    )


def count_links(source: str) -> int:
    """How many links the rendered Markdown holds (autolinks included)."""
    return render_markdown(source).count("<a ")


def validate_markdown(source: str) -> None:
    """Form validator: refuse text nested deeper than a person would write (quote bombs)."""
    deepest = max((token.level for token in _md.parse(source or "")), default=0)
    if deepest > MAX_NESTING:
        raise ValidationError(
            _("The text is nested too deeply (more than %(max)d levels of quotes or lists)."),
            code="markdown_nesting",
            params={"max": MAX_NESTING},
        )
