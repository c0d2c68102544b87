"""The reasons accounts' rules give (`details.reason`)."""

from core.errors import ReasonCode


class AccountErrorCode(ReasonCode):
    USER_NOT_FOUND = "user_not_found"
    SESSION_NOT_FOUND = "session_not_found"
    INVALID_CREDENTIALS = "invalid_credentials"
    INVALID_TOKEN = "invalid_token"  # noqa: S105 (a reason, not a secret)
    SESSION_ENDED = "session_ended"
    REFRESH_TOKEN_REUSED = "refresh_token_reused"  # noqa: S105
    USER_INACTIVE = "user_inactive"
    USERNAME_TAKEN = "username_taken"
    EMAIL_TAKEN = "email_taken"
    CURRENT_PASSWORD_INCORRECT = "current_password_incorrect"  # noqa: S105
