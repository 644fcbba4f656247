"""Test-suite setup: the support modules in this folder (``kserve_cases``, ``tolerant_yaml``) are
importable from every test folder, as pytest puts this folder on ``sys.path`` for this file."""
