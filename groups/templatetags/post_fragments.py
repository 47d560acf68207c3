"""`{% cachedpost post %}…{% endcachedpost %}`: the post's fragment from the cache the view
prefetched (groups/fragments.py), or rendered and stored. `{% cachedrow event %}…{% endcachedrow %}`
is the same tag, named for other rows (events)."""

from django import template
from django.utils.safestring import mark_safe

from config.page_cache import keep_fragment
from groups.fragments import CSRF_PLACEHOLDER, FRAGMENT_SECONDS

register = template.Library()


class CachedPostNode(template.Node):
    def __init__(self, post, nodelist):
        self.post = post
        self.nodelist = nodelist

    def render(self, context):
        post = self.post.resolve(context)
        key = getattr(post, "fragment_key", None)
        if key is None:
            return self.nodelist.render(context)
        html = post.cached_fragment
        if html is None:
            with context.push(csrf_token=CSRF_PLACEHOLDER):
                html = self.nodelist.render(context)
            keep_fragment(key, str(html), FRAGMENT_SECONDS)
        token = context.get("csrf_token")
        return mark_safe(html.replace(CSRF_PLACEHOLDER, str(token) if token else ""))  # noqa: S308  # nosec B308, B703: our own rendered template, the token is Django's


@register.tag
@register.tag("cachedrow")
def cachedpost(parser, token):
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"{{% {bits[0]} item %}} takes one argument.")
    nodelist = parser.parse((f"end{bits[0]}",))
    parser.delete_first_token()
    return CachedPostNode(parser.compile_filter(bits[1]), nodelist)
