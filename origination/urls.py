from django.urls import path

from .views import applications, documents, pipeline

app_name = "origination"
urlpatterns = [
    path("", pipeline.pipeline, name="pipeline"),
    path("new/", applications.application_new, name="application-new"),
    path("export/", pipeline.pipeline_export, name="export"),
    path("<str:number>/", applications.application_detail, name="application"),
    path("<str:number>/request-documents/", applications.documents_request, name="documents-request"),
    path("<str:number>/documents/", applications.document_upload, name="document-upload"),
    path("<str:number>/documents/<int:pk>/", documents.document_download, name="document-download"),
    path("<str:number>/documents/<int:pk>/check/", applications.document_check, name="document-check"),
    path("<str:number>/complete/", applications.complete, name="complete"),
    path("<str:number>/underwriting/", applications.underwriting, name="underwriting"),
    path("<str:number>/recommend/", applications.recommend, name="recommend"),
    path("<str:number>/decide/", applications.decide, name="decide"),
    path("<str:number>/terms/", applications.terms, name="terms"),
    path("<str:number>/fund/", applications.fund, name="fund"),
    path("<str:number>/withdraw/", applications.withdraw, name="withdraw"),
    path("<str:number>/messages/", applications.message, name="message"),
]
