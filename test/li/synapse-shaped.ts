// A Synapse-shaped database for the sync proofs: the table shapes Synapse
// itself uses for users, tokens, rooms, events and media (text ids, bigint
// stream orderings, JSON kept as text, bytea, sequences, partial and unique
// indexes, a foreign key), filled with generated rows. Not Synapse's full
// schema (about 200 tables): what the sync must carry over exactly.

export const SCHEMA = `
CREATE TABLE users (name TEXT NOT NULL PRIMARY KEY, password_hash TEXT, creation_ts BIGINT, admin SMALLINT DEFAULT 0 NOT NULL,
  upgrade_ts BIGINT, is_guest SMALLINT DEFAULT 0 NOT NULL, appservice_id TEXT, consent_version TEXT, deactivated SMALLINT DEFAULT 0 NOT NULL);
CREATE SEQUENCE access_tokens_id_seq;
CREATE TABLE access_tokens (id BIGINT PRIMARY KEY DEFAULT nextval('access_tokens_id_seq'), user_id TEXT NOT NULL REFERENCES users(name),
  device_id TEXT, token TEXT NOT NULL UNIQUE, valid_until_ms BIGINT, last_validated BIGINT);
CREATE TABLE rooms (room_id TEXT NOT NULL PRIMARY KEY, is_public BOOL, creator TEXT, room_version TEXT, has_auth_chain_index BOOL);
CREATE TABLE events (topological_ordering BIGINT NOT NULL, event_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, room_id TEXT NOT NULL,
  content TEXT, unrecognized_keys TEXT, processed BOOL NOT NULL, outlier BOOL NOT NULL, depth BIGINT DEFAULT 0 NOT NULL,
  origin_server_ts BIGINT, received_ts BIGINT, sender TEXT, contains_url BOOL, instance_name TEXT, stream_ordering BIGINT UNIQUE, state_key TEXT, rejection_reason TEXT);
CREATE INDEX events_order_room ON events (room_id, topological_ordering, stream_ordering);
CREATE INDEX event_contains_url_index ON events (room_id, topological_ordering, stream_ordering) WHERE contains_url = true AND outlier = false;
CREATE TABLE event_json (event_id TEXT NOT NULL PRIMARY KEY, room_id TEXT NOT NULL, internal_metadata TEXT NOT NULL, json TEXT NOT NULL, format_version INTEGER);
CREATE TABLE room_memberships (event_id TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL, sender TEXT NOT NULL, room_id TEXT NOT NULL, membership TEXT NOT NULL,
  forgotten INTEGER DEFAULT 0, display_name TEXT, avatar_url TEXT, event_stream_ordering BIGINT);
CREATE TABLE local_media_repository (media_id TEXT UNIQUE, media_type TEXT, media_length INTEGER, created_ts BIGINT, upload_name TEXT,
  user_id TEXT, quarantined_by TEXT, url_cache TEXT, last_access_ts BIGINT, safe_from_quarantine BOOLEAN DEFAULT false NOT NULL, sha256 TEXT);
CREATE TABLE e2e_device_keys_json (user_id TEXT NOT NULL, device_id TEXT NOT NULL, ts_added_ms BIGINT NOT NULL, key_json TEXT NOT NULL, signing_key BYTEA,
  UNIQUE (user_id, device_id));
CREATE SEQUENCE events_stream_seq;
`;

/** Rows for `scale` users; every table gets data, events get scale x 20 rows. */
export function fill(scale: number, server = "example.org"): string {
    return `
INSERT INTO users (name, password_hash, creation_ts, admin)
  SELECT '@u' || g || ':${server}', '$2b$12$' || md5('pw' || g), 1700000000 + g, (g = 1)::int FROM generate_series(1, ${scale}) g;
INSERT INTO access_tokens (user_id, device_id, token)
  SELECT '@u' || g || ':${server}', 'DEV' || g, 'syt_' || md5('tok' || g) FROM generate_series(1, ${scale}) g;
INSERT INTO rooms (room_id, is_public, creator, room_version, has_auth_chain_index)
  SELECT '!r' || g || ':${server}', g % 2 = 0, '@u1:${server}', '10', true FROM generate_series(1, ${Math.max(1, Math.floor(scale / 10))}) g;
INSERT INTO events (topological_ordering, event_id, type, room_id, content, processed, outlier, depth, origin_server_ts, received_ts, sender, contains_url, stream_ordering)
  SELECT g, '$ev' || g, 'm.room.message', '!r' || (1 + g % ${Math.max(1, Math.floor(scale / 10))}) || ':${server}',
    json_build_object('body', 'message ' || g || ' ' || repeat('x', g % 200), 'msgtype', 'm.text')::text,
    true, false, g, 1700000000000 + g, 1700000000000 + g, '@u' || (1 + g % ${scale}) || ':${server}', g % 50 = 0, nextval('events_stream_seq')
  FROM generate_series(1, ${scale * 20}) g;
INSERT INTO event_json (event_id, room_id, internal_metadata, json, format_version)
  SELECT event_id, room_id, '{}', json_build_object('event_id', event_id, 'content', content)::text, 3 FROM events;
INSERT INTO room_memberships (event_id, user_id, sender, room_id, membership, event_stream_ordering)
  SELECT '$m' || g, '@u' || g || ':${server}', '@u' || g || ':${server}', '!r' || (1 + g % ${Math.max(1, Math.floor(scale / 10))}) || ':${server}', 'join', g
  FROM generate_series(1, ${scale}) g;
INSERT INTO local_media_repository (media_id, media_type, media_length, created_ts, upload_name, user_id, sha256)
  SELECT 'media' || g, 'image/png', 1000 + g, 1700000000000 + g, 'f' || g || '.png', '@u' || (1 + g % ${scale}) || ':${server}', md5('m' || g)
  FROM generate_series(1, ${scale}) g;
INSERT INTO e2e_device_keys_json (user_id, device_id, ts_added_ms, key_json, signing_key)
  SELECT '@u' || g || ':${server}', 'DEV' || g, 1700000000000 + g, '{"keys":{}}', decode(md5('k' || g), 'hex') FROM generate_series(1, ${scale}) g;
`;
}

/** Per table: row count and an order-independent checksum of every row. */
export const CHECKSUM_QUERY = `
SELECT c.relname AS table,
  (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I', c.relname), false, true, '')))[1]::text AS rows,
  (xpath('/row/h/text()', query_to_xml(format('SELECT md5(coalesce(string_agg(t::text, ''|'' ORDER BY t::text), '''')) AS h FROM %I t', c.relname), false, true, '')))[1]::text AS checksum
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname`;

export const SEQUENCES_QUERY = `SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY sequencename`;
