from django.urls import path

from compliance import apis

urlpatterns = [
    path("communities/<int:community_id>/policy/", apis.PolicyApi.as_view(), name="api-compliance-policy"),
    path(
        "communities/<int:community_id>/suspensions/",
        apis.SuspensionListApi.as_view(),
        name="api-compliance-suspensions",
    ),
    path("suspensions/<int:pk>/lift/", apis.SuspensionLiftApi.as_view(), name="api-compliance-suspension-lift"),
    path("communities/<int:community_id>/queue/", apis.QueueApi.as_view(), name="api-compliance-queue"),
    path(
        "communities/<int:community_id>/verify-slip/", apis.VerifySlipApi.as_view(), name="api-compliance-verify-slip"
    ),
    path(
        "communities/<int:community_id>/audit/verify/",
        apis.AuditVerifyApi.as_view(),
        name="api-compliance-audit-verify",
    ),
    path("buys/<int:buy_id>/filing/", apis.FilingCreateApi.as_view(), name="api-compliance-filing-create"),
    path("filings/<int:pk>/", apis.FilingDetailApi.as_view(), name="api-compliance-filing"),
    path("filings/<int:pk>/resubmit/", apis.FilingResubmitApi.as_view(), name="api-compliance-filing-resubmit"),
    path("filings/<int:pk>/approve/", apis.FilingApproveApi.as_view(), name="api-compliance-filing-approve"),
    path("filings/<int:pk>/reject/", apis.FilingRejectApi.as_view(), name="api-compliance-filing-reject"),
    path("filings/<int:pk>/arrival/", apis.ArrivalApi.as_view(), name="api-compliance-arrival"),
    path("filings/<int:pk>/evidence/", apis.EvidenceApi.as_view(), name="api-compliance-evidence"),
    path("filings/<int:pk>/disinfected/", apis.DisinfectedApi.as_view(), name="api-compliance-disinfected"),
    path("filings/<int:pk>/release/", apis.ReleaseApi.as_view(), name="api-compliance-release"),
]
