from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class MaximumLengthValidator:
    """Long passphrases are welcome, but not megabytes for the hasher to chew on."""

    def __init__(self, max_length: int = 256) -> None:
        self.max_length = max_length

    def validate(self, password: str, user=None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                _("The password may have at most %(max)d characters.") % {"max": self.max_length},
                code="password_too_long")

    def get_help_text(self) -> str:
        return _("At most %(max)d characters.") % {"max": self.max_length}
