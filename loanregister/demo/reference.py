"""Reference data of the demo book: offices, servicers, officers, the shares it is drawn with, Danish names and
places. Shares are percent of loans unless said otherwise."""

import datetime
from decimal import Decimal

from ..choices import LoanStatus, LoanType, OfficeKind, PropertyCategory

DEFAULT_SEED = 2026
DEFAULT_CHUNK = 20_000
# From this many loans on, PostgreSQL loads with the secondary indexes and foreign keys dropped and rebuilds
# them at the end (the PostgreSQL manual's "Populating a Database" advice); below it, plain COPY is faster.
BULK_LOAD_THRESHOLD = 100_000
LOAN_NUMBER_PREFIX = "DL"
DEMO_OFFICER_USERNAME = "loan-officer"  # made by `manage.py create_demo_users`
EUR_CENTRAL_RATE = Decimal("746.038")  # DKK per 100 EUR, the ERM II central rate
EURO_START = datetime.date(1999, 1, 1)
# Prime to 2, 3 and 5, so multiplying by it permutes the BFE and CVR number ranges (no repeats).
PERMUTATION_MULTIPLIER = 104_729_113

# --- reference data --------------------------------------------------------------------------------------

# (code, name, kind, address, branch capacity granted on)
OFFICES = [
    ("HO", "Hovedkontor København", OfficeKind.HOME_OFFICE, "Kalvebod Brygge 1, 1560 København V", None),
    ("BR-AAR", "Filial Aarhus", OfficeKind.BRANCH, "Søren Frichs Vej 38, 8230 Åbyhøj", None),
    ("BR-ODE", "Filial Odense", OfficeKind.BRANCH, "Vestergade 70, 5000 Odense C", None),
    ("BR-AAL", "Filial Aalborg", OfficeKind.BRANCH, "Boulevarden 13, 9000 Aalborg", None),
    ("BR-ESB", "Filial Esbjerg", OfficeKind.BRANCH, "Kongensgade 55, 6700 Esbjerg", None),
    ("LPO-KOL", "Låneformidling Kolding", OfficeKind.LPO, "Jernbanegade 12, 6000 Kolding", (2022, 3, 1)),
    ("LPO-HER", "Låneformidling Herning", OfficeKind.LPO, "Bredgade 20, 7400 Herning", None),
]

# (code, name, is_own, share of loans). Our own is the installation's (migration 0010_own_servicer, settings
# OWN_SERVICER_*), not made here: its code and name below are only what the default settings give it.
SERVICERS = [
    ("OWN", "Egen administration", True, 90),
    ("LSD", "Loan Servicing Danmark A/S", False, 6),
    ("NMS", "Nordic Mortgage Servicing ApS", False, 4),
]

# (username, first name, last name, office code); a `loan-officer` user, when it exists, joins the home office.
OFFICERS = [
    ("mette.lund", "Mette", "Lund", "HO"),
    ("jens.kjaer", "Jens", "Kjær", "HO"),
    ("anne.bach", "Anne", "Bach", "BR-AAR"),
    ("soren.dahl", "Søren", "Dahl", "BR-AAR"),
    ("louise.holm", "Louise", "Holm", "BR-ODE"),
    ("henrik.skov", "Henrik", "Skov", "BR-AAL"),
    ("camilla.juhl", "Camilla", "Juhl", "BR-ESB"),
    ("rasmus.krogh", "Rasmus", "Krogh", "LPO-KOL"),
    ("pia.brandt", "Pia", "Brandt", "LPO-HER"),
]

# Share of loans (percent) by property category: owner-occupied homes dominate a Danish mortgage book.
CATEGORY_SHARES = [
    (PropertyCategory.OWNER_OCCUPIED, 65),
    (PropertyCategory.PRIVATE_RENTAL, 9),
    (PropertyCategory.COOPERATIVE, 6),
    (PropertyCategory.AGRICULTURE, 7),
    (PropertyCategory.OFFICE_RETAIL, 5),
    (PropertyCategory.INDUSTRY, 3),
    (PropertyCategory.SOCIAL_HOUSING, 3),
    (PropertyCategory.SOCIAL_CULTURAL, 1),
    (PropertyCategory.OTHER, 1),
]
# Per category: share of borrowers that are companies (CVR), median principal in DKK, log-normal spread,
# share of EUR loans, and the term-length weights (10, 15, 20, 25, 30 years).
_HOME_TERMS = (8, 8, 18, 8, 58)
_BUSINESS_TERMS = (20, 15, 30, 10, 25)
CATEGORY_PROFILE = {
    PropertyCategory.OWNER_OCCUPIED: (0.0, 1_600_000, 0.55, 0.04, _HOME_TERMS),
    PropertyCategory.PRIVATE_RENTAL: (0.6, 6_000_000, 0.9, 0.07, _BUSINESS_TERMS),
    PropertyCategory.COOPERATIVE: (1.0, 20_000_000, 0.9, 0.05, _HOME_TERMS),
    PropertyCategory.AGRICULTURE: (0.35, 10_000_000, 0.9, 0.09, _BUSINESS_TERMS),
    PropertyCategory.OFFICE_RETAIL: (0.9, 12_000_000, 1.0, 0.10, _BUSINESS_TERMS),
    PropertyCategory.INDUSTRY: (0.9, 8_000_000, 1.0, 0.10, _BUSINESS_TERMS),
    PropertyCategory.SOCIAL_HOUSING: (1.0, 30_000_000, 0.8, 0.0, _HOME_TERMS),
    PropertyCategory.SOCIAL_CULTURAL: (1.0, 6_000_000, 0.8, 0.0, _BUSINESS_TERMS),
    PropertyCategory.OTHER: (0.7, 2_500_000, 0.9, 0.08, _BUSINESS_TERMS),
}
TERM_YEARS = (10, 15, 20, 25, 30)
LOAN_TYPE_SHARES = [
    (LoanType.ADJUSTABLE, 45),
    (LoanType.FIXED, 40),
    (LoanType.CAPPED_FLOATING, 10),
    (LoanType.INDEX_LINKED, 5),
]
# Adjustable-rate products: months between rate resets (refinancing auctions), share.
# F-kort resets every six months; F1, F3, F5 every one, three and five years.
ADJUSTABLE_PRODUCTS = [(6, 15), (12, 25), (36, 25), (60, 35)]
STATUS_SHARES = [
    (LoanStatus.ACTIVE, 965),
    (LoanStatus.PAID_OFF, 20),
    (LoanStatus.DEFAULTED, 8),
    (LoanStatus.TRANSFERRED, 5),
    (LoanStatus.CHARGED_OFF, 2),
]
INTEREST_ONLY_SHARE = 0.20
SECOND_LOAN_SHARE = 0.15  # a home financed with two loans (e.g. part fixed, part F5)
DO_NOT_CONTACT_SHARE = 0.03
QUARTERLY_SHARE = 0.75  # Danish mortgage loans pay on the quarterly term dates; the rest monthly
# Fixed-rate coupons (percent) by origination year: what the bond market paid when the loan was made.
FIXED_COUPONS = [
    (1999, 600),
    (2005, 500),
    (2009, 450),
    (2011, 400),
    (2013, 300),
    (2015, 250),
    (2017, 200),
    (2020, 150),
    (2022, 100),
    (2023, 400),
    (2024, 500),
    (9999, 400),
]

MALE_NAMES = (
    "Peter Jens Lars Michael Henrik Thomas Søren Jan Niels Christian Martin Anders Morten Jesper Mads Rasmus "
    "Per Hans Ole Kim Mikkel Frederik Jakob Kasper Steen Bo Torben Poul Erik Carsten Emil Mathias Simon "
    "Nikolaj Jonas Allan Brian Flemming Kristian Jørgen"
).split()
FEMALE_NAMES = (
    "Anne Kirsten Mette Hanne Anna Helle Susanne Lene Maria Marianne Inge Karen Lone Bente Camilla Pia "
    "Charlotte Louise Tina Gitte Julie Sofie Ida Line Maja Emma Laura Rikke Trine Birgitte Dorthe Signe "
    "Katrine Christina Heidi Malene Jette Annette Lise"
).split()
MIDDLE_NAMES = "Holm Lund Dahl Bach Krogh Skov Juhl Bech Vestergaard Kjær Damgaard Lykke Brandt Munk".split()
SURNAMES = (
    "Nielsen Jensen Hansen Pedersen Andersen Christensen Larsen Sørensen Rasmussen Jørgensen Petersen Madsen "
    "Kristensen Olsen Thomsen Christiansen Poulsen Johansen Møller Mortensen Knudsen Jakobsen Mikkelsen "
    "Olesen Frederiksen Laursen Henriksen Lund Schmidt Eriksen Holm Kristiansen Clausen Simonsen Svendsen "
    "Andreasen Iversen Jeppesen Mogensen Jacobsen"
).split()
STREETS = (
    "Vestergade Østergade Nørregade Søndergade Storegade Kirkevej Skolevej Møllevej Stationsvej Bakkevej "
    "Engvej Birkevej Egevej Bøgevej Ahornvej Lærkevej Vibevej Solvej Parkvej Strandvejen Havnegade "
    "Jernbanegade Algade Rosenvænget Kløvervænget Hybenvej Granvej Fasanvej Mågevej Drosselvej Svanevej "
    "Skovvej Grønnegade Slotsgade Nygade Bredgade Tingvej Frederiksgade Valdemarsgade Ryesgade Tværgade"
).split()
BUSINESS_STREETS = "Industrivej Erhvervsvej Håndværkervej Fabriksvej Transportvej Lagervej Torvet".split()
RURAL_ROADS = "Markvej Landevejen Kærvej Mosevej Hedevej Bygaden Åvej".split()
FARM_NAMES = "Højgård Nørregård Søndergård Vestergård Østergård Bakkegård Engholm Lindegård Kærgård".split()
# (postcode, town, weight by population); big cities first.
TOWNS = [
    ("1550", "København V", 18),
    ("2100", "København Ø", 12),
    ("2200", "København N", 12),
    ("2300", "København S", 10),
    ("2500", "Valby", 6),
    ("2610", "Rødovre", 4),
    ("2800", "Kongens Lyngby", 5),
    ("2900", "Hellerup", 4),
    ("3000", "Helsingør", 4),
    ("3400", "Hillerød", 4),
    ("4000", "Roskilde", 5),
    ("4200", "Slagelse", 3),
    ("4300", "Holbæk", 3),
    ("4700", "Næstved", 4),
    ("4800", "Nykøbing F", 2),
    ("5000", "Odense C", 14),
    ("5500", "Middelfart", 2),
    ("5700", "Svendborg", 3),
    ("6000", "Kolding", 6),
    ("6100", "Haderslev", 3),
    ("6200", "Aabenraa", 2),
    ("6400", "Sønderborg", 3),
    ("6700", "Esbjerg", 7),
    ("7000", "Fredericia", 4),
    ("7100", "Vejle", 5),
    ("7400", "Herning", 5),
    ("7500", "Holstebro", 3),
    ("7700", "Thisted", 2),
    ("7800", "Skive", 2),
    ("8000", "Aarhus C", 16),
    ("8200", "Aarhus N", 8),
    ("8600", "Silkeborg", 4),
    ("8700", "Horsens", 5),
    ("8800", "Viborg", 4),
    ("8900", "Randers C", 5),
    ("9000", "Aalborg", 11),
    ("9700", "Brønderslev", 2),
    ("9800", "Hjørring", 3),
    ("3700", "Rønne", 2),
]
RURAL_TOWNS = [t for t in TOWNS if not t[1].startswith(("København", "Aarhus", "Odense", "Aalborg"))]
# E-mail addresses use the documentation domains (RFC 2606) so that nobody real is ever written to.
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
ASCII = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa", " ": "", "&": ""})
