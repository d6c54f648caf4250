-- The important and core data catalog and its filing (目录备案). Versions,
-- filings and change filings keep their full document as JSON in body; the
-- other columns exist to select and order them.

CREATE TABLE catalog_versions (
	id          TEXT PRIMARY KEY,
	node_id     TEXT NOT NULL,
	seq         INTEGER NOT NULL,
	status      TEXT NOT NULL,         -- draft | approved
	created_at  BIGINT,
	updated_at  BIGINT,
	body        TEXT NOT NULL,         -- JSON of catalog.Version
	UNIQUE (node_id, seq)
);

CREATE TABLE filings (
	id            TEXT PRIMARY KEY,    -- the filing envelope's id
	enterprise_id TEXT NOT NULL,
	region        TEXT NOT NULL DEFAULT '',
	industry      TEXT NOT NULL DEFAULT '',
	seq           INTEGER NOT NULL,
	status        TEXT NOT NULL,
	submitted_at  BIGINT,
	due_at        BIGINT,
	reviewed_at   BIGINT,
	body          TEXT NOT NULL        -- JSON of catalog.Filing
);
CREATE INDEX filings_enterprise ON filings (enterprise_id, submitted_at);
CREATE INDEX filings_region ON filings (region, submitted_at);

CREATE TABLE catalog_changes (
	id            TEXT PRIMARY KEY,
	enterprise_id TEXT NOT NULL,
	region        TEXT NOT NULL DEFAULT '',
	detected_at   BIGINT,
	due_at        BIGINT,
	resolved_at   BIGINT,
	body          TEXT NOT NULL        -- JSON of catalog.ChangeDue
);
CREATE INDEX catalog_changes_enterprise ON catalog_changes (enterprise_id, detected_at);
