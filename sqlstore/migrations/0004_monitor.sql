-- Risk monitoring (issue 5): alerts raised at an enterprise, incidents (the
-- enterprise's own and, at a province or the ministry, those reported up)
-- and colour-coded warnings sent down. Full documents are kept as JSON in
-- body; the other columns exist to select and order them.

CREATE TABLE alerts (
	id          TEXT PRIMARY KEY,      -- detect.Alert id: replays store nothing twice
	at          BIGINT,
	rule        TEXT NOT NULL,
	risk        TEXT NOT NULL DEFAULT '',
	severity    TEXT NOT NULL DEFAULT '',
	data_level  TEXT NOT NULL DEFAULT '',
	incident_id TEXT NOT NULL DEFAULT '',
	body        TEXT NOT NULL          -- JSON of detect.Alert
);
CREATE INDEX alerts_at ON alerts (at);

CREATE TABLE incidents (
	id            TEXT PRIMARY KEY,
	node_id       TEXT NOT NULL,       -- the enterprise the incident happened at
	region        TEXT NOT NULL DEFAULT '',
	industry      TEXT NOT NULL DEFAULT '',
	level         TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL,
	revision      BIGINT NOT NULL,     -- receivers keep the highest
	discovered_at BIGINT,
	updated_at    BIGINT,
	body          TEXT NOT NULL        -- JSON of sqlstore.IncidentRecord
);
CREATE INDEX incidents_discovered ON incidents (discovered_at);
CREATE INDEX incidents_node ON incidents (node_id, discovered_at);

CREATE TABLE warnings (
	id        TEXT PRIMARY KEY,        -- the warning envelope's id
	origin    TEXT NOT NULL,
	colour    TEXT NOT NULL,
	issued_at BIGINT,
	body      TEXT NOT NULL            -- JSON of sqlstore.WarningRecord
);
CREATE INDEX warnings_issued ON warnings (issued_at);
