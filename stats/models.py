from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

currency_code = RegexValidator(r"^[A-Z]{3}$", _("Give an ISO 4217 code of three capital letters, e.g. EUR."))


class ExchangeRate(models.Model):
    """One rate as Danmarks Nationalbank quotes it: DKK per 100 units of the currency, on one date (STAT-7).

    No rate is fixed on Danish bank closing days; readers take the last rate on or before the date they need
    (`stats.rates.dkk_rate`).
    """

    rate_date = models.DateField(_("rate date"))
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_code])
    rate = models.DecimalField(
        _("DKK per 100 units"),
        max_digits=18,
        decimal_places=6,
        validators=[MinValueValidator(0)],
        help_text=_("As Nationalbanken quotes it, e.g. 746.04 for EUR."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-rate_date"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "rate_date"], name="one_rate_per_currency_and_date"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchange_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate_date} {self.rate}"
