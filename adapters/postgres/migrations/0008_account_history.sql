-- Read model of social.accounts: every account event, for the account's history in the API and for
-- analysts (connections, refreshes, re-authorisations, disconnections, settings changes).
CREATE TABLE account_history (
    event_id    text PRIMARY KEY,
    account_id  text NOT NULL,
    site_id     text NOT NULL,
    type        text NOT NULL,
    at          timestamptz NOT NULL,
    data        jsonb NOT NULL
);
CREATE INDEX account_history_account ON account_history (account_id, at);
