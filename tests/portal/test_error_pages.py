from django.test import Client
from django.views.defaults import server_error

from tests.factories import DEFAULT_PASSWORD, DirectoryUserFactory


def test_an_unknown_address_gets_the_product_404_page(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"We can't find that page" in response.content
    assert b"Go to My Apps" in response.content


def test_a_signed_in_person_keeps_the_layout_on_a_404(client, db):
    user = DirectoryUserFactory()
    client.login(username=user.mail, password=DEFAULT_PASSWORD)
    response = client.get("/groups/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert user.tenant.display_name.encode() in response.content


def test_a_form_without_its_csrf_token_gets_a_sentence_not_a_bare_403(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/sign-in/", {"username": "a@b.example", "password": "x"})
    assert response.status_code == 403
    assert b"Please try again" in response.content


def test_the_500_page_renders_without_a_request_context(rf):
    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content
