-- hostmedic schema, version 2: fixes by button (proposal → approval → run → verify/rollback).

-- One proposed change to one host, bound to the exact commands and the evidence they came from.
-- state: proposed, approved, rejected, expired, running, verified, failed, rolled_back.
-- Transitions are guarded updates (UPDATE ... WHERE id = ? AND state = ?), so a double click or two
-- approvers at once move a proposal exactly once.
CREATE TABLE fixes (
  id               INTEGER PRIMARY KEY,
  incident_id      INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  host             TEXT NOT NULL,
  cause            TEXT NOT NULL,
  commands         TEXT NOT NULL,              -- JSON {check, fix, rollback, verify}
  risky            INTEGER NOT NULL DEFAULT 0, -- touches the management path: dead-man timer
  evidence_sha256  TEXT NOT NULL,              -- bundle the commands were derived from
  evidence_at      TEXT NOT NULL,              -- when that evidence was collected
  state            TEXT NOT NULL DEFAULT 'proposed' CHECK (state IN
                     ('proposed','approved','rejected','expired','running','verified','failed','rolled_back')),
  proposed_by      TEXT NOT NULL,              -- who asked for the diagnosis
  approved_by      TEXT,
  rolled_back_by   TEXT,
  reason           TEXT,                       -- why it ended as it did, in words
  recorded         TEXT,                       -- JSON: values before the change (snapshot)
  outputs          TEXT NOT NULL DEFAULT '[]', -- JSON: commands run with trimmed output
  result           TEXT,                       -- JSON: verification outcome
  created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  expires_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX fixes_incident ON fixes(incident_id);
CREATE INDEX fixes_host ON fixes(host, state);
-- At most one live proposal per incident, host and cause; a failed or expired one may be proposed again.
CREATE UNIQUE INDEX fixes_live ON fixes(incident_id, host, cause)
  WHERE state IN ('proposed','approved','running','verified');

-- One row while a fix changes a host: the primary key makes a second fix on the same host wait.
CREATE TABLE fix_locks (
  host         TEXT PRIMARY KEY,
  fix_id       INTEGER NOT NULL,
  owner        TEXT NOT NULL,                  -- pid@hostname of the process holding it
  acquired_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

CREATE INDEX audit_at ON audit_events(at);
CREATE INDEX audit_fix ON audit_events(fix_id);
