"""Automations: keyword triggers and flows that answer comments and messages under the platforms'
rules. Pure: matching (:mod:`.match`), the checks an activation makes, and the run interpreter."""
