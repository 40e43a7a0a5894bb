from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicingConfig(AppConfig):
    name = "servicing"
    verbose_name = _("Servicing")

    def ready(self) -> None:
        # The core does not import servicing: servicing tells it what to do and show (common/hooks.py).
        from common import hooks

        from .ledger import opening_balances_post

        hooks.on_loans_imported("opening_balances", opening_balances_post)
        self._collections(hooks)
        hooks.add_loan_panel("servicing/_loan_panels.html")
        hooks.add_navigation(
            "servicing:home",
            _("Servicing"),
            "servicing.view_posting",
            order=20,
            description=_(
                "Post payments, issue payoff statements, follow unapplied money, escrow disbursements and payees."
            ),
        )
        # the mail room's letters carry names and addresses: the contact details permission as well
        hooks.add_navigation(
            "servicing:notice-letters",
            _("Payment notice letters"),
            ("servicing.view_paymentnotice", "loanregister.view_contact_details"),
            order=25,
            description=_(
                "The payment notices sent by letter on a batch date: to print, and the mail room list."
            ),
        )

    def _collections(self, hooks) -> None:
        """Collections (issue 11): the loan page's panel, the queue in the navigation, the reminders' outbox
        handler and the demo book's arrears."""
        from common import outbox

        from .collections.demo import demo_arrears_seed
        from .collections.reminders import OUTBOX_KIND, reminder_deliver

        hooks.add_loan_panel("servicing/collections/_loan_panel.html")
        hooks.add_navigation(
            "servicing:collections-queue",
            _("Collections"),
            "servicing.work_collectioncase",
            order=22,
            description=_("My queue by risk, promises due today, contacts, hardship plans and legal cases."),
        )
        outbox.register_handler(OUTBOX_KIND, reminder_deliver)
        hooks.add_demo_seeder("arrears", demo_arrears_seed)
