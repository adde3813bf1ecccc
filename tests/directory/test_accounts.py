"""Sign-in accounts: one per email address, whatever its case."""

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError

from directory.models import Account
from tests.factories import DEFAULT_PASSWORD, AccountFactory


def test_create_user_stores_email_lower_case(db):
    account = Account.objects.create_user(" Megan.Bowen@Contoso.COM ", "Correct-Horse-42")

    account.refresh_from_db()
    assert account.email == "megan.bowen@contoso.com"
    assert account.check_password("Correct-Horse-42")
    assert (account.is_active, account.is_staff, account.is_superuser) == (True, False, False)


def test_create_user_without_password_cannot_sign_in_with_one(db):
    account = Account.objects.create_user("guest@fabrikam.com")

    assert not account.has_usable_password()
    assert authenticate(username="guest@fabrikam.com", password="") is None


def test_create_user_requires_an_email(db):
    with pytest.raises(ValueError, match="email"):
        Account.objects.create_user("")


def test_create_user_refuses_an_invalid_email(db):
    with pytest.raises(ValidationError) as excinfo:
        Account.objects.create_user("not-an-email")

    assert "email" in excinfo.value.message_dict
    assert not Account.objects.exists()


def test_create_user_refuses_email_in_use_whatever_its_case(db):
    Account.objects.create_user("megan@contoso.com")

    with pytest.raises(ValidationError) as excinfo:
        Account.objects.create_user("MEGAN@contoso.com")

    assert "email" in excinfo.value.message_dict
    assert Account.objects.count() == 1


def test_create_superuser_is_staff_and_superuser(db):
    account = Account.objects.create_superuser("Admin@Contoso.com", "Correct-Horse-42")

    assert (account.email, account.is_staff, account.is_superuser) == ("admin@contoso.com", True, True)


@pytest.mark.parametrize("typed", ["megan@contoso.com", "MEGAN@CONTOSO.COM", "Megan@Contoso.com"])
def test_authenticate_accepts_the_email_in_any_case(db, typed):
    account = AccountFactory(email="megan@contoso.com")

    assert authenticate(username=typed, password=DEFAULT_PASSWORD) == account
    assert authenticate(email=typed, password=DEFAULT_PASSWORD) == account


def test_authenticate_refuses_wrong_password_and_inactive_account(db):
    AccountFactory(email="megan@contoso.com")
    AccountFactory(email="alex@contoso.com", is_active=False)

    assert authenticate(username="MEGAN@contoso.com", password="wrong") is None
    assert authenticate(username="alex@contoso.com", password=DEFAULT_PASSWORD) is None


def test_get_by_natural_key_ignores_case(db):
    account = AccountFactory(email="megan@contoso.com")

    assert Account.objects.get_by_natural_key("MEGAN@Contoso.com") == account


def test_full_clean_lower_cases_email_typed_in_a_form(db):
    account = Account(email="Megan@Contoso.com")

    account.full_clean(exclude=["password"])
    account.save()

    assert Account.objects.get().email == "megan@contoso.com"


def test_full_clean_refuses_email_of_another_account_whatever_its_case(db):
    AccountFactory(email="megan@contoso.com")

    with pytest.raises(ValidationError) as excinfo:
        Account(email="Megan@Contoso.com").full_clean(exclude=["password"])

    assert "email" in excinfo.value.message_dict


def test_full_name_falls_back_to_email(db):
    assert Account(email="megan@contoso.com").get_full_name() == "megan@contoso.com"
    assert Account(email="megan@contoso.com", display_name="Megan Bowen").get_short_name() == "Megan Bowen"


def test_an_account_keeps_a_unicode_domain_in_its_ascii_form_and_signs_in_with_either(client, db):
    account = Account.objects.create_user("Ann@Bücher.example", password="Contoso-Demo-2026")

    assert account.email == "ann@xn--bcher-kva.example"
    assert Account.objects.get_by_natural_key("ann@bücher.example") == account
    assert client.login(username="ann@bücher.example", password="Contoso-Demo-2026")
