from django.urls import path

from groups import views

app_name = "groups"

urlpatterns = [
    path("", views.group_list, name="list"),
    path("miei/", views.my_groups, name="mine"),
    path("nuovo/", views.group_create, name="create"),
    path("<slug:slug>/", views.group_detail, name="detail"),
    path("<slug:slug>/modifica/", views.group_edit, name="edit"),
    path("<slug:slug>/unisciti/", views.group_join, name="join"),
    path("<slug:slug>/richiesta/ritira/", views.request_withdraw, name="withdraw"),
    path("<slug:slug>/esci/", views.group_leave, name="leave"),
    path("<slug:slug>/membri/", views.member_list, name="members"),
    path("<slug:slug>/membri/<int:user_id>/", views.member_action, name="member_action"),
    path("<slug:slug>/blocchi/<int:user_id>/togli/", views.ban_lift, name="ban_lift"),
    path("<slug:slug>/richieste/", views.queue, name="queue"),
    path("<slug:slug>/richieste/<int:pk>/", views.decide, name="decide"),
    path("<slug:slug>/richieste/approva/", views.bulk_approve, name="bulk_approve"),
    path("<slug:slug>/registro/", views.moderation_log, name="log"),
]
