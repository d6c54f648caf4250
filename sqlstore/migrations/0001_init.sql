-- The node store. This file runs unchanged on SQLite and PostgreSQL, so it
-- sticks to TEXT, INTEGER and BIGINT. Times are BIGINT microseconds since the
-- Unix epoch (UTC); NULL stands for the zero time. Byte columns are BYTEA:
-- PostgreSQL's binary type, which SQLite accepts as a type name and stores
-- []byte values in as blobs unchanged. Optional strings are '' rather than NULL.

CREATE TABLE nodes (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	role        TEXT NOT NULL,
	region      TEXT NOT NULL DEFAULT '',
	industry    TEXT NOT NULL DEFAULT '',
	uscc        TEXT NOT NULL DEFAULT '',
	parent_id   TEXT NOT NULL DEFAULT '',
	cert_pem    TEXT NOT NULL DEFAULT '',
	enrolled_at BIGINT,
	last_seen   BIGINT,
	health      TEXT,           -- JSON of shuan.Health, NULL when never reported
	revoked_at  BIGINT,
	is_key      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX nodes_parent_id ON nodes (parent_id);

CREATE TABLE revocations (
	serial     TEXT PRIMARY KEY,
	node_id    TEXT NOT NULL,
	revoked_at BIGINT NOT NULL,
	reason     TEXT NOT NULL DEFAULT ''
);

CREATE TABLE enrol_tokens (
	id          TEXT PRIMARY KEY,
	secret_hash TEXT NOT NULL,
	role        TEXT NOT NULL,
	created_at  BIGINT,
	expires_at  BIGINT NOT NULL,
	used_at     BIGINT,
	used_by     TEXT NOT NULL DEFAULT '',
	created_by  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE envelopes (
	id          TEXT PRIMARY KEY,
	kind        TEXT NOT NULL,
	origin      TEXT NOT NULL,
	from_node   TEXT NOT NULL DEFAULT '',
	issued_at   BIGINT,
	received_at BIGINT,
	raw         BYTEA NOT NULL
);
CREATE INDEX envelopes_received ON envelopes (received_at);
CREATE INDEX envelopes_kind ON envelopes (kind, received_at);
CREATE INDEX envelopes_origin ON envelopes (origin, received_at);

CREATE TABLE outbox (
	envelope_id  TEXT PRIMARY KEY,
	kind         TEXT NOT NULL,
	raw          BYTEA NOT NULL,
	state        TEXT NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_attempt BIGINT NOT NULL,
	last_error   TEXT NOT NULL DEFAULT '',
	created_at   BIGINT NOT NULL,
	done_at      BIGINT,         -- delivered or rejected
	receipt      BYTEA
);
CREATE INDEX outbox_due ON outbox (state, next_attempt);
CREATE INDEX outbox_created ON outbox (created_at);

CREATE TABLE down_feed (
	seq         BIGINT PRIMARY KEY,
	envelope_id TEXT NOT NULL UNIQUE,
	kind        TEXT NOT NULL,
	target      TEXT NOT NULL,  -- JSON of shuan.Target
	raw         BYTEA NOT NULL,
	created_at  BIGINT
);

CREATE TABLE notices (
	id         TEXT PRIMARY KEY,
	title      TEXT NOT NULL,
	body       TEXT NOT NULL,
	severity   TEXT NOT NULL,
	target     TEXT NOT NULL,   -- JSON of shuan.Target
	origin     TEXT NOT NULL DEFAULT '',
	created_at BIGINT
);
CREATE INDEX notices_created ON notices (created_at);

CREATE TABLE notice_statuses (
	notice_id TEXT NOT NULL,
	node_id   TEXT NOT NULL,
	status    TEXT NOT NULL,
	rank      INTEGER NOT NULL, -- shuan.NoticeRank(status)
	by_user   TEXT NOT NULL DEFAULT '',
	at        BIGINT,
	PRIMARY KEY (notice_id, node_id)
);

CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	name          TEXT NOT NULL UNIQUE,
	role          TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	created_at    BIGINT,
	disabled      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sessions (
	token_hash TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at BIGINT,
	expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE audit_log (
	seq    BIGINT PRIMARY KEY,
	at     BIGINT NOT NULL,
	actor  TEXT NOT NULL,
	action TEXT NOT NULL,
	object TEXT NOT NULL,
	detail TEXT NOT NULL,
	prev   TEXT NOT NULL,
	hash   TEXT NOT NULL
);
