from django.urls import path

from . import views

app_name = "volunteers"
urlpatterns = [
    path("", views.index, name="index"),
    path("apply/", views.apply, name="apply"),
    path("new/", views.task_new, name="task_new"),
    path("t/<int:pk>/", views.task, name="task"),
    path("t/<int:pk>/claim/", views.claim, name="claim"),
    path("t/<int:pk>/check-in/", views.check_in, name="check_in"),
    path("t/<int:pk>/check-out/", views.check_out, name="check_out"),
    path("t/<int:pk>/qr/<str:token>/", views.qr_check_in, name="qr_check_in"),
    path("t/<int:pk>/qr.svg", views.qr_image, name="qr_image"),
    path("t/<int:pk>/message/", views.message, name="message"),
    path("t/<int:pk>/finish/", views.finish, name="finish"),
    path("t/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("c/<int:claim_pk>/withdraw/", views.withdraw, name="withdraw"),
    path("c/<int:claim_pk>/accept/", views.accept_offer, name="accept_offer"),
    path("c/<int:claim_pk>/decline/", views.decline_offer, name="decline_offer"),
    path("c/<int:claim_pk>/decide/", views.decide_claim, name="decide_claim"),
    path("c/<int:claim_pk>/check-in-for/", views.check_in_for, name="check_in_for"),
    path("c/<int:claim_pk>/approve/", views.approve_service, name="approve_service"),
    path("c/<int:claim_pk>/confirm/", views.confirm, name="confirm"),
    path("confirm/", views.to_confirm, name="to_confirm"),
    path("review/", views.review, name="review"),
    path("review/<int:pk>/", views.decide_volunteer, name="decide_volunteer"),
    path("review/<int:pk>/correct/", views.correct, name="correct"),
    path("record/", views.record, name="record"),
    path("certificate/", views.certificate, name="certificate"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("export/", views.export, name="export"),
    path("shop/", views.shop, name="shop"),
    path("shop/<int:item_pk>/redeem/", views.redeem, name="redeem"),
    path("shop/orders/", views.orders, name="orders"),
    path("shop/r/<int:pk>/cancel/", views.redemption_cancel, name="redemption_cancel"),
    path("shop/r/<int:pk>/collected/", views.collected, name="collected"),
]
