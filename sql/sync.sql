-- Warehouse: sync() into local tables (id and multiset de-duplication,
-- batches, resume, gaps), the scan log, the unified view, materialized
-- views, auditlog_fdw_version() and the 0.1 -> 0.2 upgrade path.
-- Ground truth is a direct scan of the foreign table over the same window
-- (zendesk_scan.sql and resolver.sql prove full scans equal the emulator's
-- data).
\getenv zd_port EMU_ZENDESK_PORT
\set zd_url 'http://127.0.0.1:' :zd_port
\getenv rs_port EMU_RESOLVER_PORT
\set rs_url 'http://127.0.0.1:' :rs_port
-- windows are now() +- intervals: in UTC their number does not depend on
-- daylight saving changes near the day the test runs
SET TimeZone = 'UTC';
-- data ending "now", so windows relative to now() hold all of it
SELECT emu_reset('zendesk', 'rate_limit_per_min=0&anchor=now');
SELECT emu_reset('resolver', 'anchor=now&job_delay_ms=0');
CREATE SCHEMA wh;
CREATE SERVER wh_zendesk FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url :'zd_url', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER wh_zendesk
  OPTIONS (email 'admin@example.com', api_token 'zd-test-token');
CREATE SERVER wh_resolver FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'resolver', base_url :'rs_url', poll_interval_ms '10');
CREATE USER MAPPING FOR CURRENT_USER SERVER wh_resolver OPTIONS (api_token 'rslv-test-token');
IMPORT FOREIGN SCHEMA audit LIMIT TO (zendesk_audit) FROM SERVER wh_zendesk INTO wh;
IMPORT FOREIGN SCHEMA audit LIMIT TO (resolver_audit) FROM SERVER wh_resolver INTO wh;

SELECT auditlog_fdw.auditlog_fdw_version();
-- the time and id columns sync() uses, as the FDW maps them
CREATE FOREIGN TABLE wh.zd_renamed ("when" timestamptz OPTIONS (column_name 'created_at'),
                                    audit_id bigint OPTIONS (column_name 'id'), action text)
  SERVER wh_zendesk;
SELECT * FROM auditlog_fdw.column_map('wh.zd_renamed');
SELECT attname, vendor_column FROM auditlog_fdw.column_map('wh.resolver_audit') WHERE is_time OR is_id;
SELECT auditlog_fdw.column_map('emu_port');
CREATE FOREIGN TABLE wh.zd_no_time (id bigint, action text) SERVER wh_zendesk;
SELECT auditlog_fdw.sync('wh.zd_no_time', 'wh.nope');
SELECT auditlog_fdw.sync('wh.zendesk_audit', 'wh.nope', max_window => '1 minute');
SELECT auditlog_fdw.sync('wh.zendesk_audit', 'wh.nope', NULL);

-- sync_view(target, source, time column): the target as a multiset against
-- a direct scan of the source over the windows sync_log says were read
CREATE FUNCTION sync_check(target text, source text, tcol text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  lo timestamptz; hi timestamptz;
BEGIN
  SELECT min(lower(time_window)), max(upper(time_window)) INTO lo, hi
    FROM auditlog_fdw.sync_log WHERE sync_log.target = auditlog_fdw.target_name(sync_check.target);
  RETURN same_rows(format('SELECT * FROM %s WHERE %I >= %L AND %I < %L', source, tcol, lo, tcol, hi),
                   source, target, false);
END $$;

-- Zendesk (ids): the first call copies one window of max_window from since,
-- and creates the target with the source's columns and indexes
SELECT auditlog_fdw.sync('wh.zendesk_audit', 'wh.zd_store', since => now() - interval '31 days') > 0 AS added;
\d wh.zd_store
SELECT target, source, upper(time_window) = lower(time_window) + interval '7 days' AS full_window,
       rows_read = rows_added AS all_new, jsonb_array_length(scans) AS scans,
       scans->0->>'status' AS status, (scans->0->>'rows')::bigint = rows_read AS rows_match,
       (scans->0->>'requests')::int > 1 AS paged,
       scans->0->>'pushed_filters' LIKE '%created_at >=%created_at <%' AS time_pushed
  FROM auditlog_fdw.sync_log;
-- the scan log holds the same record
SELECT l.status, l.foreign_table, l.server, l.time_window = s.time_window AS same_window,
       l.rows = s.rows_read AS rows_match, l.vendor_records >= l.rows AS records, l.sqlstate
  FROM auditlog_fdw.scan_log l JOIN auditlog_fdw.sync_log s ON (s.scans->0->>'id')::bigint = l.id;
-- sync_all continues window by window up to now() - settle, committing each;
-- a settle of 3 days leaves the newest rows for later
CALL auditlog_fdw.sync_all('wh.zendesk_audit', 'wh.zd_store', settle => '3 days') \gset
SELECT :rows_added = sum(rows_added) AS returns_rows_added FROM auditlog_fdw.sync_log WHERE id > 1;
SELECT count(*) AS windows, bool_and(upper(time_window) <= lower(time_window) + interval '7 days') AS bounded,
       max(upper(time_window)) < now() - interval '3 days' AS settled
  FROM auditlog_fdw.sync_log;
SELECT sync_check('wh.zd_store', 'wh.zendesk_audit', 'created_at');
-- consecutive windows overlap by 10 minutes: no gap so far, only the tail
SELECT kind, gap_end >= now() AS to_now FROM auditlog_fdw.sync_gaps('wh.zd_store');
-- later the vendor has published 3 more days: only those rows are added
SELECT count(*) AS before FROM wh.zd_store \gset
CALL auditlog_fdw.sync_all('wh.zendesk_audit', 'wh.zd_store') \gset
SELECT (SELECT count(*) FROM wh.zd_store) - :before = :rows_added AS added_once, :rows_added > 0 AS added,
       (SELECT sum(rows_added) FROM auditlog_fdw.sync_log WHERE id > 1) + (SELECT rows_added FROM auditlog_fdw.sync_log WHERE id = 1)
         = (SELECT count(*) FROM wh.zd_store) AS log_adds_up;
SELECT sync_check('wh.zd_store', 'wh.zendesk_audit', 'created_at');
SELECT count(*) - count(DISTINCT id) AS duplicate_ids FROM wh.zd_store;
-- idempotent: reading 2 days again adds nothing
SELECT auditlog_fdw.sync('wh.zendesk_audit', 'wh.zd_store', overlap => '2 days');
SELECT rows_read > 0 AS reread, rows_added FROM auditlog_fdw.sync_log ORDER BY id DESC LIMIT 1;
-- a row lost from the target comes back exactly once
DELETE FROM wh.zd_store
 WHERE id = (SELECT max(id) FROM wh.zd_store
              WHERE created_at BETWEEN now() - interval '36 hours' AND now() - interval '1 day');
SELECT auditlog_fdw.sync('wh.zendesk_audit', 'wh.zd_store', overlap => '2 days');
SELECT sync_check('wh.zd_store', 'wh.zendesk_audit', 'created_at');

-- Resolver (no id): identical events are kept as many times as they happened
SELECT emu_clear('resolver');
CALL auditlog_fdw.sync_all('wh.resolver_audit', 'wh.rs_store', since => now() - interval '31 days') \gset
SELECT count(*) AS windows, sum(rows_added) = (SELECT count(*) FROM wh.rs_store) AS adds_up,
       sum(rows_added) = :rows_added AS returned
  FROM auditlog_fdw.sync_log WHERE target = 'wh.rs_store';
SELECT count(*) FILTER (WHERE line LIKE '% POST /%') AS export_jobs FROM emu('resolver', '/_emu/log?clear=1') line;
SELECT sync_check('wh.rs_store', 'wh.resolver_audit', 'date_time');
SELECT count(*) - count(DISTINCT raw::text) > 0 AS identical_copies_kept FROM wh.rs_store;
SELECT auditlog_fdw.sync('wh.resolver_audit', 'wh.rs_store', overlap => '31 days', max_window => '32 days');
-- one of two identical rows deleted: the next sync adds exactly that one back
CREATE TABLE rs_twice AS
  SELECT raw FROM wh.rs_store GROUP BY raw HAVING count(*) = 2 ORDER BY raw::text LIMIT 1;
DELETE FROM wh.rs_store WHERE ctid = (SELECT min(s.ctid) FROM wh.rs_store s JOIN rs_twice USING (raw));
SELECT auditlog_fdw.sync('wh.resolver_audit', 'wh.rs_store', overlap => '31 days', max_window => '32 days');
SELECT count(*) FROM wh.rs_store s JOIN rs_twice USING (raw);
SELECT sync_check('wh.rs_store', 'wh.resolver_audit', 'date_time');

-- gaps: a window missing from the log is reported as never read
SELECT id AS lost, lower(time_window) AS lost_start FROM auditlog_fdw.sync_log
 WHERE target = 'wh.zd_store' ORDER BY id OFFSET 1 LIMIT 1 \gset
DELETE FROM auditlog_fdw.sync_log WHERE id = :lost;
SELECT kind, gap_start = (SELECT upper(time_window) FROM auditlog_fdw.sync_log WHERE id = :lost - 1) AS after_previous,
       gap_end = (SELECT lower(time_window) FROM auditlog_fdw.sync_log WHERE id = :lost + 1) AS before_next
  FROM auditlog_fdw.sync_gaps('wh.zd_store') ORDER BY gap_start;
SELECT count(*) FROM auditlog_fdw.sync_gaps('wh.nothing_synced');

-- a failed scan: the error reaches the caller, the log gains no window,
-- the scan log says how the scan ended
SELECT count(*) AS windows FROM auditlog_fdw.sync_log \gset
SELECT emu_reset('zendesk', 'rate_limit_per_min=0&anchor=now&fault=status&fault_status=500');
SELECT split_part(try($$SELECT auditlog_fdw.sync('wh.zendesk_audit', 'wh.zd_store', overlap => '1 day')$$), E'\n', 1);
SELECT count(*) - :windows AS new_windows FROM auditlog_fdw.sync_log;
SELECT status, sqlstate, requests, rows FROM auditlog_fdw.scan_log ORDER BY id DESC LIMIT 1;
-- cancelled by statement_timeout
SELECT emu_reset('zendesk', 'rate_limit_per_min=0&anchor=now&latency_ms=3000');
SET statement_timeout = '300ms';
SELECT count(*) FROM wh.zendesk_audit;
RESET statement_timeout;
SELECT status, sqlstate FROM auditlog_fdw.scan_log ORDER BY id DESC LIMIT 1;
-- stopped early by LIMIT: partial; aborted by an error above the scan
SELECT emu_reset('zendesk', 'rate_limit_per_min=0&anchor=now');
SELECT count(*) FROM (SELECT * FROM wh.zendesk_audit LIMIT 3) l;
SELECT status, sqlstate, rows FROM auditlog_fdw.scan_log ORDER BY id DESC LIMIT 1;
SELECT try('SELECT * FROM wh.zendesk_audit WHERE 1 / (id - id) = 0');
SELECT status, sqlstate FROM auditlog_fdw.scan_log ORDER BY id DESC LIMIT 1;
-- contradictory conditions ask nothing and are complete at once
SELECT count(*) FROM wh.zendesk_audit WHERE created_at > now() AND created_at < now() - interval '1 day';
SELECT status, requests, isempty(time_window) AS nothing_asked FROM auditlog_fdw.scan_log ORDER BY id DESC LIMIT 1;

-- one view across vendors: time and action conditions reach every vendor
SELECT auditlog_fdw.create_unified_view('wh.audit_events', ARRAY['wh.zendesk_audit', 'wh.resolver_audit']::regclass[]);
\d+ wh.audit_events
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT vendor, actor, action FROM wh.audit_events
   WHERE occurred_at > now() - interval '1 day' AND action = 'update';
SELECT emu_clear('zendesk');
SELECT emu_clear('resolver');
SELECT count(*) > 0 AS found FROM wh.audit_events
 WHERE occurred_at > now() - interval '10 days' AND action = 'update';
SELECT bool_and(line LIKE '%filter[created_at][]=%filter[action]=update%') AS zd_pushed
  FROM emu_log('zendesk');
SELECT count(*) FILTER (WHERE line LIKE '% POST /%' AND line LIKE '%dateStart%') AS rs_time_pushed
  FROM emu('resolver', '/_emu/log?clear=1') line;
-- the view holds exactly the vendors' rows
CREATE TABLE wh.zd_flat AS
  SELECT created_at AS occurred_at, 'zendesk'::text AS vendor, actor_name AS actor, ip_address AS ip,
         action, source_type AS category, source_label AS target, change_description AS detail, raw
    FROM wh.zendesk_audit;
SELECT same_rows($$SELECT occurred_at, actor, ip, action, category, target, detail, raw FROM wh.audit_events WHERE vendor = 'zendesk'$$,
                 'wh.audit_events', 'wh.zd_flat');
SELECT auditlog_fdw.create_unified_view('wh.none', ARRAY[]::regclass[]);

-- materialized views over a foreign table refresh from the vendor
CREATE MATERIALIZED VIEW wh.zd_mv AS SELECT id, created_at, action FROM wh.zendesk_audit;
CREATE UNIQUE INDEX ON wh.zd_mv (id);
-- (a request of an earlier scan may still be in the emulator: let it land
-- before the log is cleared; the refreshes send no action filter)
SELECT pg_sleep(0.3);
SELECT emu_clear('zendesk');
REFRESH MATERIALIZED VIEW wh.zd_mv;
REFRESH MATERIALIZED VIEW CONCURRENTLY wh.zd_mv;
SELECT count(*) FILTER (WHERE line NOT LIKE '%page[after]=%' AND line NOT LIKE '%filter[action]%') AS full_scans
  FROM emu_log('zendesk');
SELECT same_rows('SELECT id, created_at, action FROM wh.zendesk_audit', 'wh.zendesk_audit', 'wh.zd_mv');

-- auditlog_fdw.log_requests: each vendor request at the chosen level
SET auditlog_fdw.log_requests = notice;
SELECT id FROM wh.zendesk_audit WHERE id = 7;
SET auditlog_fdw.log_requests = debug1;
SELECT id FROM wh.zendesk_audit WHERE id = 7;
SET client_min_messages = debug1;
SELECT id FROM wh.zendesk_audit WHERE id = 7;
RESET client_min_messages;
SET auditlog_fdw.log_requests = 'bogus';
RESET auditlog_fdw.log_requests;
-- auditlog_fdw.report_progress: a NOTICE per finished report job
SET auditlog_fdw.report_progress = on;
SELECT count(*) FROM wh.resolver_audit WHERE date_time >= '2026-01-01' AND date_time < '2026-01-02';
RESET auditlog_fdw.report_progress;

-- an ordinary role may use the schema's functions and views
CREATE ROLE regress_alf_wh_user;
SET ROLE regress_alf_wh_user;
SELECT auditlog_fdw.auditlog_fdw_version();
SELECT count(*) > 0 AS sees_scans FROM auditlog_fdw.scan_log;
SELECT count(*) > 0 AS sees_syncs FROM auditlog_fdw.sync_log;
RESET ROLE;
DROP ROLE regress_alf_wh_user;

-- upgrade path: 0.1 installs, ALTER EXTENSION UPDATE adds the 0.2 objects
SELECT current_database() AS regdb \gset
CREATE DATABASE alf_upgrade;
\c alf_upgrade
SET client_min_messages = warning;
CREATE EXTENSION auditlog_fdw VERSION '0.1';
RESET client_min_messages;
SELECT extversion FROM pg_extension WHERE extname = 'auditlog_fdw';
SELECT to_regproc('auditlog_fdw.sync') IS NULL AS no_sync;
ALTER EXTENSION auditlog_fdw UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'auditlog_fdw';
SELECT pg_describe_object(classid, objid, 0) AS object FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'auditlog_fdw')
 ORDER BY 1;
SELECT auditlog_fdw.auditlog_fdw_version();
CREATE SERVER zd FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url :'zd_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER zd
  OPTIONS (email 'admin@example.com', api_token 'zd-test-token');
IMPORT FOREIGN SCHEMA audit FROM SERVER zd INTO public;
SELECT count(*) > 0 AS scan_works FROM zendesk_audit;
SELECT auditlog_fdw.sync('zendesk_audit', 'zd_store') > 0 AS sync_works;
\c :regdb
DROP DATABASE alf_upgrade;
