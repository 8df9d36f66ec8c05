"""What services announce to the apps built on them (docs/architecture.md, "Layers").

services sits below tariffs, so it cannot ask billing; tariffs listens instead
(`tariffs.apps.TariffsConfig.ready`). A receiver refuses by raising a ValidationError, which
reaches the form, the admin or the API as any other refusal.
"""

from django.dispatch import Signal

# A stored visit is about to move to another provider or month. Argument: original (the
# visit as stored: pk, visit_id, provider_id, date). tariffs refuses the move of a visit on
# an approved invoice (it would be paid a second time).
visit_moving = Signal()
