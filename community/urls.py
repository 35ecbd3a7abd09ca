from django.urls import path

from . import views
from .disputes import views as views_disputes
from .whistle import views as whistle_views

app_name = "community"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("similar/", views.similar, name="similar"),
    path("workbench/", views.workbench, name="workbench"),
    path("disputes/", views_disputes.dispute_list, name="disputes"),
    path("disputes/new/", views_disputes.dispute_new, name="dispute_new"),
    path("disputes/<int:pk>/", views_disputes.dispute_detail, name="dispute"),
    path("disputes/<int:pk>/<slug:kind>/", views_disputes.dispute_act, name="dispute_act"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/place/", views.place, name="place"),
    # One URL and one small view per move (views.make_move). ``act`` is the same path with
    # the move as an argument, for the templates and tests that reverse it; only an
    # unknown move reaches its view (404).
    path("<int:pk>/triage/", views.triage, name="triage"),
    path("<int:pk>/decline/", views.decline, name="decline"),
    path("<int:pk>/merge/", views.merge, name="merge"),
    path("<int:pk>/dispatch/", views.dispatch, name="dispatch"),
    path("<int:pk>/accept/", views.accept, name="accept"),
    path("<int:pk>/hand_back/", views.hand_back, name="hand_back"),
    path("<int:pk>/resolve/", views.resolve, name="resolve"),
    path("<int:pk>/feedback/", views.feedback, name="feedback"),
    path("<int:pk>/comment/", views.comment, name="comment"),
    path("<int:pk>/supervise/", views.supervise, name="supervise"),
    path("<int:pk>/followup/", views.followup, name="followup"),
    path("<int:pk>/urge/", views.urge, name="urge"),
    path("<int:pk>/metoo/", views.metoo, name="metoo"),
    path("<int:pk>/whistle/", whistle_views.whistle, name="whistle"),
    path("<int:pk>/report_in/", whistle_views.report_in, name="report_in"),
    path("<int:pk>/whistle_result/", whistle_views.whistle_result, name="whistle_result"),
    path("<int:pk>/<slug:kind>/", views.act, name="act"),
]
