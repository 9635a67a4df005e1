"""What the domain's rules refuse.

DomainError
└── NoFreeSlot     no slot within the horizon keeps the account's cap and cooldown
"""


class DomainError(Exception):
    pass


class NoFreeSlot(DomainError):
    pass
