from django.urls import path

from .views import collections, documents, escrow, ledger, notices, recovery, transfers

app_name = "servicing"
urlpatterns: list = []

# Escrow, transfers, documents and recovery (REG-4, SRV-1, SRV-3, REC-1..3).
urlpatterns += [
    path("transfers/", transfers.transfer_list, name="transfer-list"),
    path("transfers/new/", transfers.transfer_create, name="transfer-create"),
    path("transfers/<int:pk>/", transfers.transfer_detail, name="transfer-detail"),
    path("transfers/<int:pk>/letters/", transfers.transfer_letters, name="transfer-letters"),
    path("transfers/<int:pk>/send/", transfers.transfer_send, name="transfer-send"),
    path("loans/<str:loan_number>/documents/", documents.document_upload_view, name="document-upload"),
    path("documents/<int:pk>/", documents.document_download_view, name="document-download"),
    path("documents/<int:pk>/delete/", documents.document_delete_view, name="document-delete"),
    path("loans/<str:loan_number>/recovery/", recovery.recovery_record_view, name="recovery-record"),
    path("loans/<str:loan_number>/escrow/open/", escrow.escrow_open_view, name="escrow-open"),
    path("escrow/payees/", escrow.escrow_payees_view, name="escrow-payees"),
    path(
        "loans/<str:loan_number>/escrow/disbursements/",
        escrow.escrow_disbursement_add_view,
        name="escrow-disbursement-add",
    ),
]

# Payment schedules and payment notices (SRV-2).
urlpatterns += [
    path("loans/<str:loan_number>/schedule/", notices.loan_schedule_view, name="loan-schedule"),
    path("loans/<str:loan_number>/schedule.csv", notices.loan_schedule_csv, name="loan-schedule-csv"),
    path("notices/letters/", notices.letter_batch_view, name="notice-letters"),
]

# The ledger: the servicing home, payments, reversals, payoff statements (SRV-1, SRV-4).
urlpatterns += [
    path("", ledger.home, name="home"),
    path("payments/", ledger.payment_create, name="payment-create"),
    path("loans/<str:loan_number>/apply-suspense/", ledger.suspense_apply_view, name="suspense-apply"),
    path("postings/<int:pk>/reverse/", ledger.posting_reverse_view, name="posting-reverse"),
    path("payoff/", ledger.payoff_create, name="payoff-create"),
    path("payoff/<int:pk>/", ledger.payoff_detail, name="payoff-detail"),
    path("payoff/<int:pk>/statement.pdf", ledger.payoff_pdf_view, name="payoff-pdf"),
]

# Collections: the collector's queue, a case, hardship plans and escalation (issue 11; COL-3 to COL-5).
urlpatterns += [
    path("collections/", collections.queue_view, name="collections-queue"),
    path("collections/cases/<int:pk>/", collections.case_view, name="collections-case"),
    path("collections/cases/<int:pk>/contact/", collections.case_contact_view, name="collections-contact"),
    path("collections/cases/<int:pk>/next-action/", collections.case_next_action_view, name="collections-next"),
    path("collections/cases/<int:pk>/assign/", collections.case_assign_view, name="collections-assign"),
    path("collections/cases/<int:pk>/hardship/", collections.case_hardship_view, name="collections-hardship"),
    path(
        "collections/plans/<int:pk>/<str:decision>/",
        collections.plan_decide_view,
        name="collections-plan-decide",
    ),
    path("collections/escalations/<int:pk>/path/", collections.escalation_path_view, name="collections-path"),
    path("collections/letters/", collections.letters_view, name="collections-letters"),
]
