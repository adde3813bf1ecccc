"""Entra's sign-in error codes (AADSTS) and their texts, worded as the product words them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorCode:
    number: int
    text: str

    @property
    def code(self) -> str:
        return f"AADSTS{self.number}"

    def format(self, **values: object) -> str:
        return f"{self.code}: {self.text.format(**values)}"


TENANT_NOT_FOUND = ErrorCode(
    90002,
    "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing in to the "
    "correct cloud.",
)
MISSING_PARAMETER = ErrorCode(900144, "The request body must contain the following parameter: '{parameter}'.")
INVALID_PARAMETER = ErrorCode(90100, "The value of the parameter '{parameter}' is empty, too long or not valid.")
APP_NOT_FOUND = ErrorCode(
    700016,
    "Application with identifier '{app_id}' was not found in the directory '{tenant}'. This can happen if the "
    "application has not been installed by the administrator of the tenant or consented to by any user in the "
    "tenant. You may have sent your authentication request to the wrong tenant.",
)
REDIRECT_URI_MISMATCH = ErrorCode(
    50011,
    "The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for "
    "the application '{app_id}'. Make sure the redirect URI sent in the request matches one added to your "
    "application in the admin center.",
)
NOT_ASSIGNED = ErrorCode(
    50105,
    "Your administrator has configured the application {app} ('{app_id}') to block users unless they are "
    "specifically granted ('assigned') access to the application. The signed in user '{upn}' has not been granted "
    "access: they are not a member of a group with access, nor had access directly assigned by an administrator. "
    "Please contact your administrator to assign access to this application.",
)
APP_DISABLED = ErrorCode(7000112, "Application '{app_id}'({app}) is disabled.")
SINGLE_SIGN_ON_OFF = ErrorCode(
    7000112, "Single sign-on to application '{app_id}'({app}) is turned off: its single sign-on mode is {mode}."
)
USER_NOT_IN_TENANT = ErrorCode(
    50020,
    "User account '{email}' from identity provider does not exist in tenant '{tenant}' and cannot access the "
    "application '{app_id}'({app}) in that tenant. The account needs to be added as an external user in the tenant "
    "first.",
)
USER_DISABLED = ErrorCode(
    50057, "The user account is disabled. The account '{upn}' has been disabled by an administrator."
)
ACCOUNT_LOCKED = ErrorCode(
    50053, "Account is locked because user tried to sign in too many times with an incorrect user ID or password."
)
INVALID_CREDENTIALS = ErrorCode(50126, "Error validating credentials due to invalid username or password.")
INVALID_PASSCODE = ErrorCode(
    1002016, "The one-time passcode is not valid or has expired. Request a new code and try again."
)
INVALID_CLIENT_SECRET = ErrorCode(
    7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value."
)
EXPIRED_CLIENT_SECRET = ErrorCode(
    7000222, "The provided client secret keys for app '{app_id}' are expired. Create new keys for your app."
)
MISSING_CLIENT_SECRET = ErrorCode(
    7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."
)
CODE_EXPIRED = ErrorCode(70008, "The provided authorization code or refresh token has expired or is not valid.")
CODE_REDEEMED = ErrorCode(54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code.")
PKCE_MISMATCH = ErrorCode(
    501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request."
)
PKCE_REQUIRED = ErrorCode(9002325, "Proof Key for Code Exchange is required for this application.")
INVALID_SCOPE = ErrorCode(70011, "The provided value for the input parameter 'scope' is not valid. {detail}")
UNSUPPORTED_GRANT_TYPE = ErrorCode(70003, "The app requested an unsupported grant type '{grant_type}'.")
INVALID_REQUEST = ErrorCode(900144, "{detail}")
# SAML 2.0 (samlidp.views).
SAML_REQUEST_MISSING = ErrorCode(
    750054,
    "SAMLRequest or SAMLResponse must be present as query string parameters in HTTP request for SAML Redirect "
    "binding, or as form fields for the HTTP-POST binding.",
)
SAML_INVALID_REQUEST = ErrorCode(75005, "The request is not a valid Saml2 protocol message. {detail}")
SAML_UNEXPECTED_DESTINATION = ErrorCode(
    75008, "The request from the app was denied since the SAML request had an unexpected destination. {detail}"
)
SAML_SIGNATURE_REQUIRED = ErrorCode(
    76021,
    "The request sent by client is not signed, or not signed with its verification certificate, while the "
    "application requires signed requests. {detail}",
)
SAML_REPLAYED_REQUEST = ErrorCode(
    75005,
    "The request is not a valid Saml2 protocol message. The request with ID '{request_id}' was already answered: "
    "the application must send a new request.",
)
SAML_SIGN_OUT_INVALID = ErrorCode(50061, "Unable to complete sign out. The request was invalid. {detail}")
REPLY_URL_MISMATCH = ErrorCode(
    50011,
    "The reply URL '{reply_url}' specified in the request does not match the reply URLs configured for the "
    "application '{app_id}'. Make sure the reply URL sent in the request matches one added to your application "
    "in the admin center.",
)
SIGN_IN_SERVICE_ISSUE = ErrorCode(50000, "There was an issue with our sign-in service. {detail}")
