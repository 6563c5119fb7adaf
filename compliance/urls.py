from django.urls import path

from compliance import views

app_name = "compliance"

urlpatterns = [
    path("", views.index, name="index"),
    path("c/<int:community_id>/", views.community_home, name="community"),
    path("c/<int:community_id>/policy/", views.policy_edit, name="policy"),
    path("c/<int:community_id>/suspensions/", views.suspensions, name="suspensions"),
    path("suspensions/<int:pk>/lift/", views.suspension_lift, name="suspension_lift"),
    path("c/<int:community_id>/queue/", views.queue, name="queue"),
    path("c/<int:community_id>/deliveries/", views.deliveries, name="deliveries"),
    path("c/<int:community_id>/audit/", views.audit, name="audit"),
    path("c/<int:community_id>/audit.csv", views.audit_csv, name="audit_csv"),
    path("buys/<int:buy_id>/", views.buy_delivery, name="buy_delivery"),
    path("buys/<int:buy_id>/file/", views.filing_create, name="filing_create"),
    path("filings/<int:pk>/", views.filing_detail, name="filing_detail"),
    path("filings/<int:pk>/edit/", views.filing_edit, name="filing_edit"),
    path("filings/<int:pk>/approve/", views.filing_approve, name="filing_approve"),
    path("filings/<int:pk>/reject/", views.filing_reject, name="filing_reject"),
    path("filings/<int:pk>/arrival/", views.arrival, name="arrival"),
    path("filings/<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("filings/<int:pk>/disinfected/", views.disinfected, name="disinfected"),
    path("filings/<int:pk>/release/", views.release, name="release"),
    path("gate/", views.gate_check, name="gate"),
    path("files/documents/<int:pk>/", views.document_file, name="document_file"),
    path("files/evidence/<int:pk>/", views.evidence_file, name="evidence_file"),
]
