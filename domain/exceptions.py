"""What the domain's rules refuse.

DomainError
└── NoFreeSlot     no slot within the horizon keeps the account's cap and cooldown
"""


class DomainError(Exception):
    pass


class NoFreeSlot(DomainError):
    pass


class ContentRefused(DomainError):
    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = f"{field}: {detail}"
