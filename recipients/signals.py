"""What recipients announce to the apps built on them (docs/architecture.md, "Layers").

recipients sits below services, so it cannot call services; services listens instead
(`services.apps.ServicesConfig.ready`). Receivers run in the sender's transaction, and an
exception in one undoes the whole change.
"""

from django.dispatch import Signal

# An approved enrolment has ended (its end date set or brought forward): the visits planned
# after its last day of service are no longer planned. Arguments: enrollment, acting_user.
enrollment_ended = Signal()
