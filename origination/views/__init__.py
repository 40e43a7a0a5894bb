"""The origination pages: the pipeline (pipeline.py), an application with its actions (applications.py) and its
documents (documents.py). Forms in origination/forms.py, URLs in origination/urls.py."""
