"""The team store's schema: named, ordered, append-only migrations, recorded in the database
(``scenario_tui_migrations``) and applied by ``team.init_schema`` (``scenario-tui team init``),
never by an ordinary open: a member's role need not be allowed to change the schema.

It holds the same data as the local store after its migration 0004, with these differences:
``seq`` comes from a sequence (only ever growing, also when a restore puts an old number back);
text that is sorted or searched is in the "C" collation (byte order, as SQLite compares, and
``ILIKE`` folds ASCII letters only, as SQLite's ``LIKE``); a generated ``haystack`` column with a
trigram index answers a search; ``activity.upload_ids`` is a text array; and who acted
(``activity.actor``, ``intents.actor``) and who wrote a note (``uploads.note_by``) are set by
triggers from the session user, so a client cannot write someone else's name there. Triggers
also announce each committed change (``_CHANGES`` below), for ``feed``.

Timestamps are the ISO text the store's clock gives (as in the local store), so the values handed
out are the same on both backends. Never edit or reorder an entry of ``MIGRATIONS``.
"""

from __future__ import annotations

import psycopg

MIGRATIONS_TABLE = "scenario_tui_migrations"
#: the one-row table whose counter every committed transaction with news bumps (read by a
#: follower that cannot LISTEN)
COUNTER_TABLE = "scenario_tui_changes"

# The change feed (``store.changes``) as 0005 made it (0006 below keeps what is announced, but
# for an intent's opening, and changes how): after each statement that changes uploads, claims,
# intents or the log, a NOTIFY on the channel with the IDs of the uploads it touched (a JSON
# list; "*" when longer than a notification should be, or when an entry names no upload), and
# nothing else: no note, no status. Sent at commit (never for a rollback), once per distinct
# payload. A refresh that only moved ``fetched_at``, or an intent's heartbeat, is no news.
# Each committing transaction that changed any of them also bumps the counter, once: its first
# changed row queues a deferred trigger (the WHEN marks the transaction), which bumps it while
# the transaction commits (taking the counter row's lock only then, so writers never wait on it
# in the middle of their work, and never deadlock on it).
_CHANGES = f"""
CREATE FUNCTION scenario_tui_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched bigint;
    ids text[];
    payload text;
BEGIN
    IF TG_TABLE_NAME = 'uploads' AND TG_OP = 'UPDATE' THEN
        SELECT count(*), array_agg(DISTINCT n.id) INTO touched, ids
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE (o.snapshot, o.note, o.not_found_at) IS DISTINCT FROM
              (n.snapshot, n.note, n.not_found_at);
    ELSIF TG_TABLE_NAME = 'uploads' AND TG_OP = 'INSERT' THEN
        SELECT count(*), array_agg(DISTINCT id) INTO touched, ids FROM new_rows;
    ELSIF TG_TABLE_NAME = 'uploads' THEN
        SELECT count(*), array_agg(DISTINCT id) INTO touched, ids FROM old_rows;
    ELSIF TG_TABLE_NAME = 'intents' AND TG_OP = 'UPDATE' THEN
        SELECT count(*), array_agg(DISTINCT n.upload_id) INTO touched, ids
        FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE o.state IS DISTINCT FROM n.state;
    ELSIF TG_TABLE_NAME = 'activity' THEN
        SELECT count(*) INTO touched FROM new_rows;
        SELECT array_agg(DISTINCT u) INTO ids FROM (
            SELECT upload_id FROM new_rows
            UNION ALL SELECT unnest(upload_ids) FROM new_rows) AS t(u)
        WHERE u IS NOT NULL;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT count(*), array_agg(DISTINCT upload_id) INTO touched, ids FROM old_rows;
    ELSE
        SELECT count(*), array_agg(DISTINCT upload_id) INTO touched, ids FROM new_rows;
    END IF;
    IF touched = 0 THEN
        RETURN NULL;
    END IF;
    payload := coalesce(array_to_json(ids)::text, '*');
    IF octet_length(payload) > 7000 THEN
        payload := '*';
    END IF;
    PERFORM pg_notify('scenario_tui_changes', payload);
    RETURN NULL;
END $$;
CREATE TABLE {COUNTER_TABLE} (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    counter bigint NOT NULL DEFAULT 0
);
INSERT INTO {COUNTER_TABLE} DEFAULT VALUES;
CREATE FUNCTION scenario_tui_count_change() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE {COUNTER_TABLE} SET counter = counter + 1;
    RETURN NULL;
END $$;
""" + "".join(f"""
CREATE TRIGGER {table}_notify_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION scenario_tui_notify();
CREATE CONSTRAINT TRIGGER {table}_count_change AFTER INSERT OR UPDATE OR DELETE ON {table}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (current_setting('scenario_tui.counted', true) IS DISTINCT FROM 'yes'
          AND set_config('scenario_tui.counted', 'yes', true) = 'yes')
    EXECUTE FUNCTION scenario_tui_count_change();
""" + ("" if table == "activity" else f"""
CREATE TRIGGER {table}_notify_update AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION scenario_tui_notify();
CREATE TRIGGER {table}_notify_delete AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION scenario_tui_notify();
""") for table in ("uploads", "activity", "claims", "intents"))

# 0006: the same feed, with fewer notifying commits and less server work per write. Each
# changed row adds its upload's ID to a list kept in the transaction (a transaction-local
# setting; a row trigger whose WHEN leaves out what is no news), and the first row of news
# queues the deferred trigger that sends one NOTIFY with the whole list while the transaction
# commits, and bumps the counter. The list keeps first-seen order, each ID once; past what a
# notification should carry, or for a log entry that names no upload, it becomes "*".
# An intent being opened (and its "sending" log entry) is no news: its settlement follows within
# one API round trip and is announced with both entries. Every notifying commit takes the
# server's one notification lock until it ends (and the counter row's lock), so that a team
# completing from one queue queued there twice per complete (bench/RESULTS.md, "One
# announcement per transaction"). The database still refuses a second open intent whether or
# not anyone heard of the first.
#
# It also gives the pending uploads, the team's queue, an index of their own, in list order:
# with statistics from when most uploads were pending (autovacuum analyses late), the planner
# read "pending, oldest first" along the whole list by ``seq``, passing every completed upload
# before the first pending one (thousands of rows per read once a team is through most of its
# queue); the partial index holds only what is asked for.
_ANNOUNCED = "scenario_tui.announced"
#: which rows are news, by table and statement: their IDs are announced, and the first of a
#: transaction queues the deferred trigger that announces them (a transaction with none, an
#: intent opened, say, runs no trigger function at all); a CASE, since only it fixes the order
#: in which the tests run (the last one marks the transaction)
_NEWS = (
    ("uploads", "INSERT", "true"),
    ("uploads", "UPDATE", "(OLD.snapshot, OLD.note, OLD.not_found_at) IS DISTINCT FROM"
                          " (NEW.snapshot, NEW.note, NEW.not_found_at)"),
    ("uploads", "DELETE", "true"),
    ("activity", "INSERT", "NEW.outcome IS DISTINCT FROM 'sending'"),
    ("claims", "INSERT", "true"), ("claims", "UPDATE", "true"), ("claims", "DELETE", "true"),
    ("intents", "INSERT", "NEW.state <> 'open'"),
    ("intents", "UPDATE", "OLD.state IS DISTINCT FROM NEW.state"),
    ("intents", "DELETE", "true"),
)
_ONE_ANNOUNCEMENT = f"""
CREATE INDEX uploads_pending ON uploads (seq) WHERE status = 'pending';
DROP FUNCTION scenario_tui_notify() CASCADE;
DROP FUNCTION scenario_tui_count_change() CASCADE;
CREATE FUNCTION scenario_tui_note_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    seen text := coalesce(current_setting('{_ANNOUNCED}', true), '');
    ids text[];
    one text;
BEGIN
    IF seen = '*' THEN
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'uploads' THEN
        ids := ARRAY[CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END];
    ELSIF TG_TABLE_NAME = 'activity' THEN
        ids := array_remove(NEW.upload_id || coalesce(NEW.upload_ids, '{{}}'), NULL);
        IF cardinality(ids) = 0 THEN
            ids := ARRAY['*'];
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        ids := ARRAY[OLD.upload_id];
    ELSE
        ids := ARRAY[NEW.upload_id];
    END IF;
    FOREACH one IN ARRAY ids LOOP
        IF one = '*' OR octet_length(seen) > 7000 THEN
            seen := '*';
            EXIT;
        ELSIF strpos(chr(30) || seen || chr(30), chr(30) || one || chr(30)) = 0 THEN
            seen := CASE WHEN seen = '' THEN one ELSE seen || chr(30) || one END;
        END IF;
    END LOOP;
    PERFORM set_config('{_ANNOUNCED}', seen, true);
    RETURN NULL;
END $$;
CREATE FUNCTION scenario_tui_announce() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    seen text := coalesce(current_setting('{_ANNOUNCED}', true), '');
    payload text := seen;
BEGIN
    IF seen = '' THEN
        RETURN NULL;
    ELSIF seen <> '*' THEN
        payload := array_to_json(string_to_array(seen, chr(30)))::text;
        IF octet_length(payload) > 7000 THEN
            payload := '*';
        END IF;
    END IF;
    PERFORM pg_notify('scenario_tui_changes', payload);
    UPDATE {COUNTER_TABLE} SET counter = counter + 1;
    RETURN NULL;
END $$;
""" + "".join(f"""
CREATE TRIGGER {table}_note_{op.lower()} AFTER {op} ON {table} FOR EACH ROW
    WHEN ({news}) EXECUTE FUNCTION scenario_tui_note_change();
CREATE CONSTRAINT TRIGGER {table}_announce_{op.lower()} AFTER {op} ON {table}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (CASE WHEN NOT ({news}) THEN false
               WHEN current_setting('scenario_tui.counted', true) = 'yes' THEN false
               ELSE set_config('scenario_tui.counted', 'yes', true) = 'yes' END)
    EXECUTE FUNCTION scenario_tui_announce();
""" for table, op, news in _NEWS)

MIGRATIONS: tuple[tuple[str, str], ...] = (
    ("0001_tables", """
CREATE SEQUENCE upload_seq AS bigint MINVALUE 1;
CREATE TABLE uploads (
    id text COLLATE "C" PRIMARY KEY,
    seq bigint NOT NULL UNIQUE,
    note text COLLATE "C" NOT NULL DEFAULT '',
    added_at text NOT NULL,
    snapshot text,
    fetched_at text,
    status text COLLATE "C",
    file_name text COLLATE "C",
    kind text,
    file_size bigint,
    updated_at text COLLATE "C",
    error_message text,
    not_found_at text,
    note_by text
);
CREATE INDEX uploads_status ON uploads (status, seq);
CREATE INDEX uploads_file_name ON uploads (file_name, seq);
CREATE INDEX uploads_updated_at ON uploads (updated_at, seq);
CREATE INDEX uploads_file_size ON uploads (file_size, seq);
CREATE TABLE activity (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at text NOT NULL,
    profile text,
    upload_id text,
    action text NOT NULL,
    outcome text NOT NULL,
    http_status integer,
    message text,
    upload_ids text[],
    actor text NOT NULL DEFAULT session_user
);
CREATE INDEX activity_upload_id ON activity (upload_id, id);
CREATE TABLE intents (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    upload_id text NOT NULL,
    action text NOT NULL,
    state text NOT NULL,
    holder_pid bigint,
    holder_host text,
    holder_started text,
    holder_label text,
    profile text,
    started_at text NOT NULL,
    heartbeat_at text NOT NULL,
    settled_at text,
    http_status integer,
    message text,
    actor text NOT NULL DEFAULT session_user
);
CREATE UNIQUE INDEX intents_one_open ON intents (upload_id) WHERE state = 'open';
CREATE INDEX intents_upload_id ON intents (upload_id, id);
CREATE TABLE parts_sent (
    upload_id text NOT NULL,
    part_number integer NOT NULL,
    size bigint,
    sent_at text,
    sha256 text,
    PRIMARY KEY (upload_id, part_number)
);
CREATE TABLE upload_files (
    upload_id text PRIMARY KEY,
    size bigint NOT NULL,
    mtime_ns bigint,
    sample_sha256 text,
    recorded_at text
);
"""),
    # who acted and who wrote a note, from the session user: a trigger overrides what a client
    # sends (a row put back by ``restore`` keeps the note's author it had)
    ("0002_actors", """
CREATE FUNCTION scenario_tui_actor() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.actor := session_user;
    ELSE
        NEW.actor := OLD.actor;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER activity_actor BEFORE INSERT OR UPDATE ON activity
    FOR EACH ROW EXECUTE FUNCTION scenario_tui_actor();
CREATE TRIGGER intents_actor BEFORE INSERT OR UPDATE ON intents
    FOR EACH ROW EXECUTE FUNCTION scenario_tui_actor();
CREATE FUNCTION scenario_tui_note_by() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.note = '' THEN
            NEW.note_by := NULL;
        ELSIF NEW.note_by IS NULL THEN
            NEW.note_by := session_user;
        END IF;
    ELSIF NEW.note IS DISTINCT FROM OLD.note THEN
        NEW.note_by := CASE WHEN NEW.note = '' THEN NULL ELSE session_user END;
    ELSE
        NEW.note_by := OLD.note_by;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER uploads_note_by BEFORE INSERT OR UPDATE OF note, note_by ON uploads
    FOR EACH ROW EXECUTE FUNCTION scenario_tui_note_by();
"""),
    # search: a case-insensitive substring of ID, file name, note or status, by ILIKE over one
    # generated column with a trigram index (pg_trgm ships with the server's contrib)
    ("0003_search", """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
ALTER TABLE uploads ADD COLUMN haystack text COLLATE "C" GENERATED ALWAYS AS (
    id || chr(31) || coalesce(file_name, '') || chr(31) || note || chr(31)
    || coalesce(status, '')) STORED;
CREATE INDEX uploads_haystack ON uploads USING gin (haystack gin_trgm_ops);
"""),
    # who is on an upload, until when (``store.claims``); the holder is the session user
    ("0004_claims", """
CREATE TABLE claims (
    upload_id text PRIMARY KEY REFERENCES uploads (id) ON DELETE CASCADE,
    holder text NOT NULL DEFAULT session_user,
    claimed_at text NOT NULL,
    expires_at text NOT NULL
);
CREATE INDEX claims_expires_at ON claims (expires_at);
CREATE FUNCTION scenario_tui_claim_holder() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.holder := session_user;
    RETURN NEW;
END $$;
CREATE TRIGGER claims_holder BEFORE INSERT OR UPDATE ON claims
    FOR EACH ROW EXECUTE FUNCTION scenario_tui_claim_holder();
"""),
    ("0005_changes", _CHANGES),
    ("0006_one_announcement", _ONE_ANNOUNCEMENT),
)


def read_version(c: psycopg.Connection) -> int | None:
    """How many migrations the database has applied, or None when it has no scenario-tui
    schema at all."""
    row = c.execute("SELECT to_regclass(%s) IS NOT NULL", (MIGRATIONS_TABLE,)).fetchone()
    if row is None or not row[0]:
        return None
    row = c.execute(f"SELECT count(*) FROM {MIGRATIONS_TABLE}").fetchone()
    return int(row[0]) if row else 0
