from django import template

from .. import actions

register = template.Library()


@register.simple_tag
def payment_state(submission):
    """`{% payment_state submission as payment %}`: actions.state_of (None without a fee)."""
    return actions.state_of(submission) if submission is not None else None
