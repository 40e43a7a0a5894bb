from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    dependencies = [("loanregister", "0002_roles")]
    operations: list = []
