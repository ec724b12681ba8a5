"""Signals of the services app, so that apps above it (cases: the notice text) can keep their
own data of a version without the services app knowing them."""

from django.dispatch import Signal

# A version was made from another one: a new draft from the newest version, or the first
# version of a copied service. Arguments: version (the new one), source. Sent in the
# transaction that creates the version.
version_copied = Signal()

# A draft is about to be published. Argument: version. Receivers return a list of `Problem`s
# (empty when they have nothing against it); any problem refuses the publication.
publishing = Signal()
