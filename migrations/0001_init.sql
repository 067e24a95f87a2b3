-- hostmedic schema, version 1. Never edit a shipped migration: add the next file.

CREATE TABLE incidents (
  id            INTEGER PRIMARY KEY,
  requested_by  TEXT NOT NULL,             -- chat user id, "console" or "cli"
  source        TEXT NOT NULL,             -- slack, console, cli
  channel       TEXT,
  thread        TEXT,                      -- chat thread id; one incident per thread
  symptom       TEXT NOT NULL DEFAULT '',
  categories    TEXT NOT NULL DEFAULT '[]', -- JSON array of symptom categories
  targets       TEXT NOT NULL DEFAULT '[]', -- JSON array of addresses
  hosts         TEXT NOT NULL DEFAULT '[]', -- JSON array of host names
  language      TEXT NOT NULL DEFAULT 'en',
  status        TEXT NOT NULL DEFAULT 'open', -- open, diagnosed, resolved, closed
  resolution    TEXT,
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX incidents_thread ON incidents(channel, thread);
CREATE INDEX incidents_created ON incidents(created_at);

-- One row per host of an incident: how the diagnosis of that host ended.
CREATE TABLE diagnoses (
  id           INTEGER PRIMARY KEY,
  incident_id  INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  host         TEXT NOT NULL,
  host_groups  TEXT NOT NULL DEFAULT '[]',
  status       TEXT NOT NULL,
  error        TEXT,
  elapsed_ms   INTEGER NOT NULL DEFAULT 0,
  notes        TEXT NOT NULL DEFAULT '[]',
  created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX diagnoses_incident ON diagnoses(incident_id);
CREATE INDEX diagnoses_host ON diagnoses(host);

-- Raw probe outputs, the evidence bundle of one host (JSON), kept whole.
CREATE TABLE evidence (
  id            INTEGER PRIMARY KEY,
  diagnosis_id  INTEGER NOT NULL REFERENCES diagnoses(id) ON DELETE CASCADE,
  bundle        TEXT NOT NULL,
  sha256        TEXT NOT NULL,
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX evidence_diagnosis ON evidence(diagnosis_id);

CREATE TABLE findings (
  id            INTEGER PRIMARY KEY,
  diagnosis_id  INTEGER NOT NULL REFERENCES diagnoses(id) ON DELETE CASCADE,
  cause         TEXT NOT NULL,
  rank          INTEGER NOT NULL,
  confidence    REAL NOT NULL,
  title         TEXT NOT NULL,
  title_zh      TEXT,
  evidence      TEXT NOT NULL DEFAULT '[]',
  commands      TEXT NOT NULL DEFAULT '{}'  -- JSON {check, fix, rollback, verify}
);
CREATE INDEX findings_diagnosis ON findings(diagnosis_id);
CREATE INDEX findings_cause ON findings(cause);

-- Feedback that turns an incident into a case: a cause confirmed or rejected for a host.
CREATE TABLE cases (
  id           INTEGER PRIMARY KEY,
  incident_id  INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  host         TEXT NOT NULL,
  host_groups  TEXT NOT NULL DEFAULT '[]',
  cause        TEXT NOT NULL,
  verdict      TEXT NOT NULL CHECK (verdict IN ('confirmed','rejected')),
  categories   TEXT NOT NULL DEFAULT '[]',
  decided_by   TEXT NOT NULL,
  note         TEXT,
  created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX cases_cause ON cases(cause);
CREATE INDEX cases_host ON cases(host);

CREATE TABLE notes (
  id           INTEGER PRIMARY KEY,
  incident_id  INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  author       TEXT NOT NULL,
  text         TEXT NOT NULL,
  created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

-- Append-only record of everything that changed or tried to change a host.
CREATE TABLE audit_events (
  id           INTEGER PRIMARY KEY,
  at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  actor        TEXT NOT NULL,
  action       TEXT NOT NULL,
  host         TEXT,
  incident_id  INTEGER,
  fix_id       INTEGER,
  detail       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_host_at ON audit_events(host, at);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;

-- Slack retries an event it thinks failed; seen ids survive a restart.
CREATE TABLE processed_events (
  event_id     TEXT PRIMARY KEY,
  received_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

-- Rules as loaded from rules/, with a content hash, so a diagnosis can name the rule version it used.
CREATE TABLE rules (
  id          TEXT PRIMARY KEY,
  sha256      TEXT NOT NULL,
  body        TEXT NOT NULL,
  synced_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

-- Full-text search over incidents; trigram so that Chinese text (no spaces) is found too.
CREATE VIRTUAL TABLE incidents_fts USING fts5(
  symptom, hosts, causes, notes, resolution,
  tokenize = 'trigram'
);
