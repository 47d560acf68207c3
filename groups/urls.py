"""URLs of the groups layer, under /gruppi/."""

from django.urls import path

import config.ids  # noqa: F401  (registers the <id:...> converter)
from groups import views

app_name = "groups"

urlpatterns = [
    path("", views.group_list, name="list"),
    path("miei/", views.my_groups, name="mine"),
    path("nuovo/", views.group_create, name="create"),
    path("cerca/", views.search, name="search"),
    path("segnalazioni/", views.review, name="review"),
    path("segnalazioni/<str:kind>/<id:pk>/", views.review_decide, name="review_decide"),
    path("<slug:slug>/", views.group_detail, name="detail"),
    path("<slug:slug>/modifica/", views.group_edit, name="edit"),
    path("<slug:slug>/unisciti/", views.group_join, name="join"),
    path("<slug:slug>/richiesta/ritira/", views.request_withdraw, name="withdraw"),
    path("<slug:slug>/esci/", views.group_leave, name="leave"),
    path("<slug:slug>/membri/", views.member_list, name="members"),
    path("<slug:slug>/membri/<id:user_id>/", views.member_action, name="member_action"),
    path("<slug:slug>/blocchi/<id:user_id>/togli/", views.ban_lift, name="ban_lift"),
    path("<slug:slug>/richieste/", views.queue, name="queue"),
    path("<slug:slug>/richieste/<id:pk>/", views.decide, name="decide"),
    path("<slug:slug>/richieste/approva/", views.bulk_approve, name="bulk_approve"),
    path("<slug:slug>/registro/", views.moderation_log, name="log"),
    path("<slug:slug>/domande/", views.thread_list, name="threads"),
    path("<slug:slug>/domande/nuova/", views.ask, name="ask"),
    path("<slug:slug>/domande/<id:pk>/", views.thread, name="thread"),
    path("<slug:slug>/domande/<id:pk>/rispondi/", views.answer, name="answer"),
    path("<slug:slug>/domande/<id:pk>/segui/", views.watch, name="watch"),
    path("<slug:slug>/post/<id:pk>/vota/", views.vote, name="vote"),
    path("<slug:slug>/post/<id:pk>/accetta/", views.accept, name="accept"),
    path("<slug:slug>/post/<id:pk>/modifica/", views.post_edit, name="post_edit"),
    path("<slug:slug>/post/<id:pk>/elimina/", views.post_delete, name="post_delete"),
    path("<slug:slug>/post/<id:pk>/cronologia/", views.post_history, name="post_history"),
    path("<slug:slug>/post/<id:pk>/commenta/", views.comment, name="comment"),
    path("<slug:slug>/post/<id:pk>/segnala/", views.report_post, name="report"),
    path("<slug:slug>/commenti/<id:pk>/elimina/", views.comment_delete, name="comment_delete"),
    path("<slug:slug>/commenti/<id:pk>/segnala/", views.report_comment, name="report_comment"),
    path("<slug:slug>/segnalazioni/", views.reports, name="reports"),
    path("<slug:slug>/eventi/", views.group_events, name="events"),
    path("<slug:slug>/eventi/nuovo/", views.event_create, name="event_create"),
    path("<slug:slug>/eventi/<id:pk>/", views.event_detail, name="event"),
    path("<slug:slug>/eventi/<id:pk>/modifica/", views.event_edit, name="event_edit"),
    path("<slug:slug>/eventi/<id:pk>/partecipo/", views.event_rsvp, name="event_rsvp"),
    path("<slug:slug>/eventi/<id:pk>/annulla/", views.event_cancel, name="event_cancel"),
    path("<slug:slug>/eventi/<id:pk>/presenze/", views.event_attendance, name="event_attendance"),
    path("<slug:slug>/eventi/<id:pk>/check-in/", views.event_checkin, name="event_checkin"),
    path("<slug:slug>/eventi/<id:pk>/persone/", views.event_people, name="event_people"),
    path("<slug:slug>/eventi/<id:pk>/evento.ics", views.event_ics, name="event_ics"),
    path("<slug:slug>/eventi/<id:pk>/segnala/", views.report_event_view, name="report_event"),
]
