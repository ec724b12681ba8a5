from django import template

register = template.Library()


@register.filter
def summary_errors(form) -> list[dict]:
    """A Django form's errors for forms/error_summary.html: "Label: message" linked to the
    field, errors of the whole form without a link."""
    rows = []
    for name, messages in form.errors.items():
        if name == "__all__":
            rows += [{"text": str(m), "href": None} for m in messages]
            continue
        field = form[name]
        rows += [{"text": f"{field.label}: {m}", "href": f"#{field.id_for_label}"}
                 for m in messages]
    return rows
