"""The bilingual demo: an organization tree, people, and one account for every role.

Idempotent: everything is looked up by its natural key first, so ``smartgov demo`` can run
on every ``make run``. Modules add their own demo data with :func:`register`, called in order.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Collection

from sqlalchemy.orm import Session

from smartgov import identity
from smartgov.db import Database
from smartgov.errors import NotFound
from smartgov.identity import OrganizationView, OrgKind, PersonProfile, Role, nationalcode

DEMO_PASSWORD = "Demo-pass-1405"  # noqa: S105 - published demo credential, never used outside the demo
#: Fixed TOTP secrets for demo staff so the demo can be tried with any authenticator app.
DEMO_TOTP = {
    "official": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    "agencyadmin": "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU",
    "admin": "MFRGGZDFMZTWQ2LKMFRGGZDFMZTWQ2LK",
    "official-isf": "N5TGM2LDNFQWYLLJONTC2ZDFNVXS2MBR",
}

AGENCIES: list[tuple[str, str | None, str, str]] = [
    ("mcls", None, "وزارت تعاون، کار و رفاه اجتماعی", "Ministry of Cooperatives, Labour and Social Welfare"),
    ("sso", "mcls", "سازمان تأمین اجتماعی", "Social Security Organization"),
    ("sso-thr", "sso", "ادارهٔ کل تأمین اجتماعی استان تهران", "Social Security, Tehran Province"),
    ("sso-isf", "sso", "ادارهٔ کل تأمین اجتماعی استان اصفهان", "Social Security, Isfahan Province"),
    ("sso-khr", "sso", "ادارهٔ کل تأمین اجتماعی استان خراسان رضوی", "Social Security, Razavi Khorasan Province"),
    ("moi", None, "وزارت کشور", "Ministry of Interior"),
    ("nocr", "moi", "سازمان ثبت احوال کشور", "National Organization for Civil Registration"),
    ("mefa", None, "وزارت امور اقتصادی و دارایی", "Ministry of Economic Affairs and Finance"),
    ("inta", "mefa", "سازمان امور مالیاتی کشور", "Iranian National Tax Administration"),
    ("thr-city", None, "شهرداری تهران", "Tehran Municipality"),
]

#: The provinces the provincial branches serve (cases are routed to them: ``services/routing.py``).
BRANCH_PROVINCES = {"sso-thr": "Tehran", "sso-isf": "Isfahan", "sso-khr": "Razavi Khorasan"}

EMPLOYERS: list[tuple[str, str, str, str]] = [
    ("emp-pars-textile", "10320458712", "شرکت نساجی پارس", "Pars Textile Company"),
    ("emp-zagros-steel", "10861234509", "فولاد زاگرس", "Zagros Steel"),
    ("emp-caspian-food", "10103366442", "صنایع غذایی کاسپین", "Caspian Food Industries"),
]

FIRST_NAMES: list[tuple[str, str, str]] = [
    ("علی", "Ali", "m"), ("محمد", "Mohammad", "m"), ("حسین", "Hossein", "m"), ("رضا", "Reza", "m"),
    ("مهدی", "Mahdi", "m"), ("امیر", "Amir", "m"), ("سعید", "Saeed", "m"), ("حمید", "Hamid", "m"),
    ("مریم", "Maryam", "f"), ("فاطمه", "Fatemeh", "f"), ("زهرا", "Zahra", "f"), ("سارا", "Sara", "f"),
    ("نرگس", "Narges", "f"), ("لیلا", "Leila", "f"), ("الهام", "Elham", "f"), ("نسرین", "Nasrin", "f"),
]
LAST_NAMES: list[tuple[str, str]] = [
    ("احمدی", "Ahmadi"), ("محمدی", "Mohammadi"), ("حسینی", "Hosseini"), ("رضایی", "Rezaei"),
    ("کریمی", "Karimi"), ("موسوی", "Mousavi"), ("جعفری", "Jafari"), ("صادقی", "Sadeghi"),
    ("رحیمی", "Rahimi"), ("کاظمی", "Kazemi"), ("نوری", "Nouri"), ("قاسمی", "Ghasemi"),
    ("عباسی", "Abbasi"), ("یزدانی", "Yazdani"), ("شریفی", "Sharifi"), ("طاهری", "Taheri"),
]
PROVINCES: list[tuple[str, str]] = [
    ("تهران", "Tehran"), ("اصفهان", "Isfahan"), ("خراسان رضوی", "Razavi Khorasan"), ("فارس", "Fars"),
    ("آذربایجان شرقی", "East Azerbaijan"), ("خوزستان", "Khuzestan"), ("گیلان", "Gilan"), ("کرمان", "Kerman"),
]

# (role, username, organization, Persian first/last, English first/last, national code prefix)
STAFF: list[tuple[Role, str, str | None, tuple[str, str, str, str], str]] = [
    (Role.CITIZEN, "citizen", None, ("مریم", "احمدی", "Maryam", "Ahmadi"), "004123456"),
    (Role.EMPLOYER, "employer", "emp-pars-textile", ("حمید", "کریمی", "Hamid", "Karimi"), "004223457"),
    (Role.OFFICIAL, "official", "sso-thr", ("رضا", "موسوی", "Reza", "Mousavi"), "004323458"),
    (Role.AGENCY_ADMIN, "agencyadmin", "sso", ("الهام", "رحیمی", "Elham", "Rahimi"), "004423459"),
    (Role.AUDITOR, "auditor", None, ("سعید", "نوری", "Saeed", "Nouri"), "004523450"),
    (Role.PLATFORM_ADMIN, "admin", None, ("زهرا", "صادقی", "Zahra", "Sadeghi"), "004623451"),
    # A second branch, to show that an official works their own branch's cases only.
    (Role.OFFICIAL, "official-isf", "sso-isf", ("نرگس", "یزدانی", "Narges", "Yazdani"), "004823453"),
    (Role.CITIZEN, "citizen-isf", None, ("امیر", "طاهری", "Amir", "Taheri"), "004923454"),
]
#: Where the demo's own people live in the registry (the others are drawn at random): their cases
#: go to the branch of that province.
STAFF_PROVINCES = {"citizen": "Tehran", "official": "Tehran", "citizen-isf": "Isfahan", "official-isf": "Isfahan"}

Loader = Callable[[Session, random.Random, int], None]
_loaders: list[tuple[int, str, Loader]] = []


def register(name: str, loader: Loader, order: int = 50) -> None:
    """Modules add demo data; ``loader(db, rng, people)`` must itself be idempotent."""
    if all(n != name for _, n, _ in _loaders):
        _loaders.append((order, name, loader))
        _loaders.sort()


def _org(db: Session, code: str) -> OrganizationView | None:
    try:
        return identity.organization_by_code(db, code)
    except NotFound:
        return None


def _person(db: Session, rng: random.Random, prefix9: str | None = None,
            names: tuple[str, str, str, str] | None = None, province_en: str | None = None) -> PersonProfile:
    code = nationalcode.make(prefix9 or f"{rng.randrange(10**8, 10**9):09d}")
    existing = identity.person_by_code(db, code)
    if existing:
        return existing
    if names is None:
        first_fa, first_en, gender = rng.choice(FIRST_NAMES)
        last_fa, last_en = rng.choice(LAST_NAMES)
    else:
        first_fa, last_fa, first_en, last_en = names
        gender = next((g for f, _e, g in FIRST_NAMES if f == first_fa), None)
    province = rng.choice(PROVINCES)
    birth = dt.date(1955, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 48))
    mobile = f"0912{rng.randrange(10**6, 10**7):07d}"
    # The demo people stand in for the population registry, which knows their mobile numbers.
    return PersonProfile.of(identity.create_person(
        db, national_code=code, first_name_fa=first_fa, last_name_fa=last_fa, first_name_en=first_en,
        last_name_en=last_en, birth_date=birth, phone=mobile, registry_mobile=mobile,
        email=f"{first_en.lower()}.{last_en.lower()}.{code[-4:]}@example.ir", gender=gender,
        province=province_en or province[1],
    ))


def load_identity(db: Session, rng: random.Random, people: int) -> list[tuple[str, str, str]]:
    for code, parent, name_fa, name_en in AGENCIES:
        if _org(db, code) is None:
            identity.create_organization(db, code=code, kind=OrgKind.AGENCY, name_fa=name_fa, name_en=name_en,
                                         parent_code=parent, province=BRANCH_PROVINCES.get(code))
    for code, reg, name_fa, name_en in EMPLOYERS:
        if _org(db, code) is None:
            identity.create_organization(db, code=code, kind=OrgKind.EMPLOYER, name_fa=name_fa, name_en=name_en,
                                        registration_number=reg, province="Tehran")
    logins = []
    for role, username, org, names, prefix in STAFF:
        account: identity.AccountRef | None = identity.account_view_by_username(db, username)
        if account is None:
            person = _person(db, rng, prefix, names, STAFF_PROVINCES.get(username))
            account = identity.create_account(db, username=username, password=DEMO_PASSWORD, role=role,
                                              organization_code=org, person=person, proof="demo",
                                              totp_secret=DEMO_TOTP.get(username))
        identity.prove(db, account, "demo", actor_id=None)  # demo accounts are proven (a no-op once they are)
        logins.append((role.value, username, DEMO_PASSWORD))
    have = identity.count_people(db)
    for _ in range(max(0, people - (have - len(STAFF)))):
        _person(db, rng)
    return logins


def load(database: Database, *, people: int = 200, seed: int = 1405,
         without: Collection[str] = ()) -> list[tuple[str, str, str]]:
    """Load everything in one transaction per module; returns (role, username, password) rows.

    ``without`` leaves out the named modules' demos (a test that wants the rest of the demo quickly).
    """
    from smartgov.app import create_app

    create_app()  # imports all modules so their demo loaders are registered
    rng = random.Random(seed)
    with database.unit_of_work() as db:
        logins = load_identity(db, rng, people)
    for _order, name, loader in _loaders:
        if name in without:
            continue
        with database.unit_of_work() as db:
            loader(db, random.Random(seed), people)
    return logins
