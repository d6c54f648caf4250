-- Enterprise data work: registered data sources, their scans and the
-- people's reviews of the proposed labels (数据分类分级的人工确认).

CREATE TABLE data_sources (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	kind       TEXT NOT NULL,           -- postgres, mysql, sqlite, files
	location   TEXT NOT NULL,           -- without any password (source.Redact)
	secret     BYTEA,                   -- SM4-GCM sealed password, AAD = id; NULL when none
	options    TEXT NOT NULL,           -- JSON of sqlstore.SourceOptions
	created_at BIGINT,
	created_by TEXT NOT NULL DEFAULT ''
);

CREATE TABLE scans (
	id                TEXT PRIMARY KEY,
	source_id         TEXT NOT NULL REFERENCES data_sources (id) ON DELETE CASCADE,
	status            TEXT NOT NULL,    -- queued, running, done, failed
	started_at        BIGINT,
	finished_at       BIGINT,
	by_user           TEXT NOT NULL DEFAULT '',
	error             TEXT NOT NULL DEFAULT '',
	doc               BYTEA,            -- the scan JSON document (docs/scan.md), when done
	tables_n          INTEGER NOT NULL DEFAULT 0,
	columns_n         INTEGER NOT NULL DEFAULT 0,
	pi_columns        INTEGER NOT NULL DEFAULT 0,
	sensitive_columns INTEGER NOT NULL DEFAULT 0,
	important_tables  INTEGER NOT NULL DEFAULT 0,
	core_tables       INTEGER NOT NULL DEFAULT 0,
	confirmed_columns INTEGER NOT NULL DEFAULT 0,
	skipped           INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX scans_source_started ON scans (source_id, started_at);

-- Reviews are append-only: every confirmation or override is kept, and the
-- label in force for a column is its latest review (label_current).
CREATE TABLE label_reviews (
	seq          BIGINT PRIMARY KEY,
	source_id    TEXT NOT NULL REFERENCES data_sources (id) ON DELETE CASCADE,
	table_name   TEXT NOT NULL,
	column_name  TEXT NOT NULL,
	category     TEXT NOT NULL,
	pi           TEXT NOT NULL DEFAULT '',
	sensitive_pi INTEGER NOT NULL DEFAULT 0,
	level        TEXT NOT NULL,
	sub_level    INTEGER NOT NULL DEFAULT 0,
	reason       TEXT NOT NULL,
	by_user      TEXT NOT NULL,
	at           BIGINT NOT NULL
);
CREATE INDEX label_reviews_column ON label_reviews (source_id, table_name, column_name, seq);

CREATE VIEW label_current AS
	SELECT r.* FROM label_reviews r
	JOIN (SELECT MAX(seq) AS seq FROM label_reviews GROUP BY source_id, table_name, column_name) m
	ON r.seq = m.seq;
