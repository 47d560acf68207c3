from django.http import HttpRequest


def notifications(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: pages that never show the badge run no query for it.
    return {"unread_notifications": lambda: user.notifications.unread().count()}
