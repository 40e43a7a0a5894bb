from django.urls import path

from . import views_documents, views_escrow, views_ledger, views_notices, views_recovery, views_transfers

app_name = "servicing"
urlpatterns: list = []

# Escrow, transfers, documents and recovery (REG-4, SRV-1, SRV-3, REC-1..3).
urlpatterns += [
    path("transfers/", views_transfers.transfer_list, name="transfer-list"),
    path("transfers/new/", views_transfers.transfer_create, name="transfer-create"),
    path("transfers/<int:pk>/", views_transfers.transfer_detail, name="transfer-detail"),
    path("transfers/<int:pk>/letters/", views_transfers.transfer_letters, name="transfer-letters"),
    path("transfers/<int:pk>/send/", views_transfers.transfer_send, name="transfer-send"),
    path("loans/<str:loan_number>/documents/", views_documents.document_upload_view, name="document-upload"),
    path("documents/<int:pk>/", views_documents.document_download_view, name="document-download"),
    path("documents/<int:pk>/delete/", views_documents.document_delete_view, name="document-delete"),
    path("loans/<str:loan_number>/recovery/", views_recovery.recovery_record_view, name="recovery-record"),
    path("loans/<str:loan_number>/escrow/open/", views_escrow.escrow_open_view, name="escrow-open"),
    path(
        "loans/<str:loan_number>/escrow/disbursements/",
        views_escrow.escrow_disbursement_add_view,
        name="escrow-disbursement-add",
    ),
]

# Payment schedules and payment notices (SRV-2).
urlpatterns += [
    path("loans/<str:loan_number>/schedule/", views_notices.loan_schedule_view, name="loan-schedule"),
    path("loans/<str:loan_number>/schedule.csv", views_notices.loan_schedule_csv, name="loan-schedule-csv"),
    path("notices/letters/", views_notices.letter_batch_view, name="notice-letters"),
]

# The ledger: the servicing home, payments, reversals, payoff statements (SRV-1, SRV-4).
urlpatterns += [
    path("", views_ledger.home, name="home"),
    path("payments/", views_ledger.payment_create, name="payment-create"),
    path("loans/<str:loan_number>/apply-suspense/", views_ledger.suspense_apply_view, name="suspense-apply"),
    path("postings/<int:pk>/reverse/", views_ledger.posting_reverse_view, name="posting-reverse"),
    path("payoff/", views_ledger.payoff_create, name="payoff-create"),
    path("payoff/<int:pk>/", views_ledger.payoff_detail, name="payoff-detail"),
    path("payoff/<int:pk>/statement.pdf", views_ledger.payoff_pdf_view, name="payoff-pdf"),
]
