# The authorization matrix's world (every kind of visitor and object) also drives the hostile-input tests.
from tests.portal.test_authorization_matrix import world  # noqa: F401
