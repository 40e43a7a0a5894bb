from django.urls import path

from . import views

app_name = "loanregister"
urlpatterns = [
    path("", views.register_list, name="register"),
    path("export/", views.register_export, name="export"),
    path("loans/id/<int:pk>/", views.loan_by_id, name="loan_by_id"),
    path("loans/<str:loan_number>/", views.loan_detail, name="loan"),
    path("leads/", views.leads_list, name="leads"),
    path("leads/reassign/", views.leads_reassign_filtered, name="leads-reassign"),
    path("leads/radar/", views.radar_preview, name="leads-radar"),
    path("leads/download/", views.leads_download, name="leads-download"),
    path("leads/<int:pk>/", views.lead_detail, name="lead"),
    path("leads/<int:pk>/contact/", views.lead_contact_add, name="lead-contact"),
    path("leads/<int:pk>/status/", views.lead_status_change, name="lead-status"),
    path("leads/<int:pk>/reassign/", views.lead_reassign_one, name="lead-reassign"),
    path("campaigns/", views.campaigns_list, name="campaigns"),
    path("campaigns/new/", views.campaign_new, name="campaign-new"),
    path("campaigns/contact-governor/", views.contact_governor_edit, name="contact-governor"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/freeze/", views.campaign_freeze_view, name="campaign-freeze"),
    path("campaigns/<int:pk>/sent/", views.campaign_sent_view, name="campaign-sent"),
    path("campaigns/<int:pk>/contact/", views.campaign_contact_view, name="campaign-contact"),
    path("campaigns/<int:pk>/export/", views.campaign_export_view, name="campaign-export"),
]
