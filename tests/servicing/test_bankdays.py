import datetime

from common.bankdays import closing_days, is_bank_day, next_bank_day

D = datetime.date

# Danmarks Nationalbank's bank closing days 2026 (FIELD-NOTES.md).
NATIONALBANKEN_2026 = [
    D(2026, 1, 1),
    D(2026, 4, 2),
    D(2026, 4, 3),
    D(2026, 4, 6),
    D(2026, 5, 14),
    D(2026, 5, 15),
    D(2026, 5, 25),
    D(2026, 6, 5),
    D(2026, 12, 24),
    D(2026, 12, 25),
    D(2026, 12, 26),
    D(2026, 12, 31),
]


def test_bank_closing_days_2026_are_nationalbankens_list_exactly():
    # given every day of 2026
    days = [D(2026, 1, 1) + datetime.timedelta(days=i) for i in range(365)]
    # when we take the days that are closed though not a weekend
    closed_weekdays = [d for d in days if not is_bank_day(d) and d.weekday() < 5]
    # then they are the list's weekdays, and every listed day is closed (26 Dec 2026 is a Saturday)
    assert closed_weekdays == [d for d in NATIONALBANKEN_2026 if d.weekday() < 5]
    assert all(not is_bank_day(d) for d in NATIONALBANKEN_2026)
    assert set(NATIONALBANKEN_2026) <= closing_days(2026)


def test_may_day_is_a_bank_day():
    # 1 May 2026 is a Friday: the holidays package's optional category lists it, the banks are open.
    assert is_bank_day(D(2026, 5, 1))


def test_store_bededag_is_a_closing_day_until_2023_only():
    # Store Bededag (4th Friday after Easter) was abolished from 2024.
    assert not is_bank_day(D(2023, 5, 5))
    assert is_bank_day(D(2024, 4, 26))
    # The Friday after Ascension Day stays closed in both eras.
    assert not is_bank_day(D(2023, 5, 19))
    assert not is_bank_day(D(2024, 5, 10))


def test_next_bank_day_is_the_same_day_when_open_and_skips_weekends_and_closing_days():
    assert next_bank_day(D(2026, 5, 13)) == D(2026, 5, 13)  # Wednesday, open
    assert next_bank_day(D(2026, 5, 14)) == D(2026, 5, 18)  # Ascension, Friday after, weekend
    assert next_bank_day(D(2026, 4, 2)) == D(2026, 4, 7)  # Maundy Thursday to Easter Tuesday
    assert next_bank_day(D(2026, 12, 24)) == D(2026, 12, 28)  # Christmas Eve to Monday
    assert next_bank_day(D(2026, 12, 31)) == D(2027, 1, 4)  # New Year's Eve, New Year's Day, weekend
    assert next_bank_day(D(2026, 1, 31)) == D(2026, 2, 2)  # Saturday
