"""Running as a service: the scheduler, the service loop, SIGHUP reload, systemd notify, the
health endpoint, metrics and the status report.

Imports every stage below it (``harvest``, ``mirror``, ``store``, ``fetch``); only ``cli``
imports it.
"""
