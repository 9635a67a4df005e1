"""The stream processors, one agent per module, in flow order: :mod:`.intake` → :mod:`.adapt` →
:mod:`.schedule` → :mod:`.publish` → :mod:`.engagement`, with the timers :mod:`.refresh` (tokens)
and :mod:`.relay` (the accounts outbox). Each is a thin shell: decode, call a decider, use ports."""
