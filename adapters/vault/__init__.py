"""The token vault: OAuth tokens encrypted at rest (AES-GCM), bound to their account and field,
under per-account data keys wrapped by rotating master keys; shredding a data key makes an
account's tokens unrecoverable. Tokens never leave as plain text except to the platform call."""
