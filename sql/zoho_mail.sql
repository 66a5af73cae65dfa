-- Zoho Mail: IMPORT, exact scans under cursor paging (short pages are not
-- the end), every pushdown rule, OAuth refresh and the token cache, errors,
-- throttling and cancel
\getenv zoho_port EMU_ZOHO_MAIL_PORT
\set zoho_url 'http://127.0.0.1:' :zoho_port
SELECT emu_reset('zoho_mail', 'rate_limit_per_min=0');
-- zoid is required, and a number
CREATE SERVER zoho_nozoid FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zoho_mail', base_url :'zoho_url');
CREATE SERVER zoho_nozoid FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zoho_mail', base_url :'zoho_url', zoid 'zylker');
-- the API and the accounts server share the emulator's port; pacing is off
-- on this server to keep the test fast
CREATE SERVER zoho_mail FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zoho_mail', base_url :'zoho_url', accounts_url :'zoho_url',
           zoid '57047751', min_request_interval_ms '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER zoho_mail
  OPTIONS (client_id 'zoho-test-client', client_secret 'zoho-test-secret', refresh_token 'zoho-test-refresh');
-- IMPORT FOREIGN SCHEMA
CREATE SCHEMA zoho_imp;
IMPORT FOREIGN SCHEMA audit LIMIT TO (zoho_mail_audit) FROM SERVER zoho_mail INTO zoho_imp;
\det zoho_imp.*
DROP SCHEMA zoho_imp CASCADE;
IMPORT FOREIGN SCHEMA audit FROM SERVER zoho_mail INTO public;
\d zoho_mail_audit
-- full scan: one token refresh, then pages of 200 passing both cursors
-- back, until an empty page
SELECT count(*), count(DISTINCT raw), min(request_time), max(request_time) FROM zoho_mail_audit;
SELECT regexp_replace(line, 'lastEntityId=[^&]*&lastIndexTime=\d+', 'lastEntityId=<c>&lastIndexTime=<c>') AS request
  FROM emu_log('zoho_mail');
-- the ground truth: the emulator's own records (/_emu/dump), never a copy
-- read through the FDW; the full scan returns exactly these, and needs no
-- new token
CREATE TEMP TABLE all_rows AS
  SELECT 'epoch'::timestamptz + (d->>'requestTime')::bigint * interval '1 ms' AS request_time,
         d->>'performedBy' AS performed_by, coalesce(d->>'performedOn', d->>'performedFor') AS performed_on,
         (d->>'clientIp')::inet AS client_ip, d->>'mainCategory' AS main_category,
         d->>'category' AS category, d->>'subCategory' AS sub_category, d->>'operation' AS operation,
         d->>'operationType' AS operation_type, d->>'status' AS status, d->>'type' AS type,
         d->>'auditLogType' AS audit_log_type, (d->>'data')::jsonb AS data, d AS raw
    FROM emu_dump('zoho_mail') d;
SELECT same_rows('SELECT * FROM zoho_mail_audit', 'zoho_mail_audit', 'all_rows');
SELECT count(*) AS requests, count(*) FILTER (WHERE line LIKE '%/oauth/v2/token%') AS refreshes
  FROM emu_log('zoho_mail');
-- zoho_same(q, t): q over the foreign table t returns exactly the rows of q over all_rows
CREATE FUNCTION zoho_same(q text, t text DEFAULT 'zoho_mail_audit') RETURNS text
LANGUAGE sql AS $$ SELECT same_rows(q, t, 'all_rows') $$;
-- content: data (JSON in a string) as jsonb, IPv6, non-ASCII
SELECT request_time, performed_by, performed_on, client_ip, main_category, category,
       sub_category, operation, operation_type, status, type, audit_log_type, data
  FROM all_rows ORDER BY request_time, raw::text LIMIT 3;
SELECT bool_and(data = (raw->>'data')::jsonb) AS data_is_jsonb,
       bool_and(jsonb_typeof(data) = 'object') AS objects,
       bool_and(extract(epoch FROM request_time) * 1000 = (raw->>'requestTime')::bigint) AS epoch_ms,
       count(*) FILTER (WHERE family(client_ip) = 6) > 0 AS ipv6,
       count(*) FILTER (WHERE performed_by ~ '[^\x01-\x7f]') > 0 AS non_ascii,
       count(DISTINCT status) AS statuses
  FROM all_rows;
-- pages of 10: page boundaries split instants shared by several records,
-- and every record still comes exactly once
CREATE FOREIGN TABLE zoho_small (request_time timestamptz, performed_by text, operation text, data jsonb)
  SERVER zoho_mail OPTIONS (page_size '10');
WITH f AS MATERIALIZED (SELECT * FROM zoho_small),
     l AS MATERIALIZED (SELECT request_time, performed_by, operation, data FROM all_rows)
SELECT (SELECT count(*) FROM f) AS n,
       (SELECT count(*) FROM (TABLE l EXCEPT ALL TABLE f) x) AS missing,
       (SELECT count(*) FROM (TABLE f EXCEPT ALL TABLE l) x) AS extra;
SELECT count(*) AS page_boundaries_inside_an_instant FROM (
  SELECT request_time, lead(request_time) OVER (ORDER BY (raw->>'requestTime')::bigint DESC, raw::text) AS next,
         row_number() OVER (ORDER BY (raw->>'requestTime')::bigint DESC, raw::text) AS pos
    FROM all_rows) s
  WHERE pos % 10 = 0 AND request_time = next;
SELECT count(*) AS requests, bool_and(line LIKE '%&limit=10%') AS limit_10,
       count(*) FILTER (WHERE line NOT LIKE '%lastEntityId%') AS without_cursor
  FROM emu_log('zoho_mail');
-- short pages mid-stream are not the end
SELECT emu('zoho_mail', '/_emu/config?short_pages=1') IS NOT NULL;
SELECT zoho_same($$SELECT * FROM zoho_mail_audit$$);
SELECT count(*) > 7 AS more_requests_than_full_pages FROM emu_log('zoho_mail');
-- the other ways the end may show: cursors absent on the last page, or
-- unchanged on an empty one
SELECT emu('zoho_mail', '/_emu/config?short_pages=0&end_signal=' || signal) IS NOT NULL AS set, signal,
       zoho_same($$SELECT * FROM zoho_mail_audit$$) AS full_scan,
       zoho_same($$SELECT request_time, performed_by FROM zoho_small WHERE request_time >= '2026-10-31'$$, 'zoho_small') AS small_pages
  FROM (VALUES ('short'), ('omit'), ('empty')) v(signal);
-- the truth: the emulator's own records (/_emu/dump) agree with a full scan
SELECT same_rows('SELECT raw FROM zoho_mail_audit', 'zoho_mail_audit', $$(SELECT d AS raw
  FROM emu_dump('zoho_mail') d) dump$$);
-- a vendor that ignores the cursors (the first page again, with the
-- cursors it was sent) or echoes them back unchanged on a non-empty page:
-- an error, never an endless loop or a scan that stops after one page
SELECT m AS cursor_mode, emu('zoho_mail', '/_emu/config?cursor_mode=' || m) IS NOT NULL AS set,
       regexp_replace(try('SELECT * FROM zoho_small'),
                      'GET \S+ returned (\d+) records and the cursors lastIndexTime=\d+, lastEntityId=\S+ it',
                      'GET <request> returned \1 records and the cursors lastIndexTime=<c>, lastEntityId=<c> it') AS error
  FROM (VALUES ('ignore'), ('echo')) v(m);
SELECT emu('zoho_mail', '/_emu/config?cursor_mode=follow') IS NOT NULL;
SELECT emu_clear('zoho_mail');
-- unknown column names fail at the first scan and list the valid ones
CREATE FOREIGN TABLE zoho_bad (request_time timestamptz, actor text) SERVER zoho_mail;
SELECT * FROM zoho_bad;
DROP FOREIGN TABLE zoho_bad;
-- LIMIT asks for a small page
SELECT count(*) FROM (SELECT * FROM zoho_mail_audit LIMIT 3) s;
SELECT * FROM emu_log('zoho_mail');
-- request_time ranges go to startTime/endTime in epoch ms, widened by
-- 1 ms; an open end is pinned (both are always sent)
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT request_time FROM zoho_mail_audit
   WHERE request_time >= '2026-10-20 00:00:00+00' AND request_time < '2026-10-21 00:00:00+00';
SELECT zoho_same($$SELECT request_time, performed_by FROM zoho_mail_audit WHERE request_time >= '2026-10-20 00:00:00+00' AND request_time < '2026-10-21 00:00:00+00'$$);
SELECT zoho_same($$SELECT request_time FROM zoho_mail_audit WHERE request_time > '2026-10-31 12:00:00.5+00'$$);
SELECT zoho_same($$SELECT request_time FROM zoho_mail_audit WHERE request_time <= '2026-10-03 00:00:00+00'$$);
-- a stable expression is evaluated once at scan start, and sent
SELECT zoho_same($$SELECT request_time FROM zoho_mail_audit WHERE request_time >= least(now(), '2026-10-31 00:00:00+00')$$);
SELECT emu_now(line) FROM emu_log('zoho_mail');
-- bounds on instants shared by several records, whatever the vendor's
-- bound semantics
CREATE TEMP TABLE zoho_burst AS
  SELECT request_time FROM all_rows GROUP BY 1 HAVING count(*) >= 3 ORDER BY 1 LIMIT 4;
SELECT count(*) FROM zoho_burst;
SELECT emu('zoho_mail', '/_emu/config?time_bounds=' || mode) IS NOT NULL AS set, mode,
       zoho_same(format($$SELECT raw FROM zoho_mail_audit WHERE request_time >= %L AND request_time <= %L$$,
                        (SELECT min(request_time) FROM zoho_burst), (SELECT max(request_time) FROM zoho_burst))) AS closed,
       zoho_same(format($$SELECT raw FROM zoho_mail_audit WHERE request_time > %L AND request_time < %L$$,
                        (SELECT min(request_time) FROM zoho_burst), (SELECT max(request_time) FROM zoho_burst))) AS open,
       zoho_same(format($$SELECT raw FROM zoho_mail_audit WHERE request_time = %L$$,
                        (SELECT min(request_time) FROM zoho_burst))) AS equal
  FROM (VALUES ('inclusive'), ('exclusive'), ('half_open')) v(mode);
SELECT emu('zoho_mail', '/_emu/config?time_bounds=inclusive') IS NOT NULL;
SELECT emu_clear('zoho_mail');
-- = on performed_by, performed_on (as performedFor), operation_type and
-- status goes to searchKey, key:value pairs joined by ::
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT raw FROM zoho_mail_audit
   WHERE performed_by = 'admin@zylker.com' AND performed_on = 'user@zylker.com'
     AND operation_type = 'UPDATE' AND status = 'success' AND request_time >= '2026-10-15';
SELECT zoho_same($$SELECT raw FROM zoho_mail_audit WHERE performed_by = 'admin@zylker.com'$$);
SELECT zoho_same($$SELECT raw FROM zoho_mail_audit WHERE performed_by = 'josé.müller@zylker.com'$$);
SELECT zoho_same($$SELECT raw FROM zoho_mail_audit WHERE performed_on = 'user@zylker.com'$$);
SELECT zoho_same($$SELECT raw FROM zoho_mail_audit WHERE operation_type = 'DELETE'$$);
SELECT zoho_same($$SELECT raw FROM zoho_mail_audit WHERE status = 'failure'$$);
SELECT zoho_same($$SELECT raw FROM zoho_mail_audit WHERE performed_by = 'admin@zylker.com' AND performed_on = 'user@zylker.com' AND operation_type = 'UPDATE' AND status = 'success' AND request_time >= '2026-10-15'$$);
-- the vendor compares status without case; SQL does not, so the local
-- recheck keeps the result exact
SELECT zoho_same($$SELECT raw FROM zoho_mail_audit WHERE status = 'FAILURE'$$);
SELECT emu_now(regexp_replace(line, 'lastEntityId=[^&]*&lastIndexTime=\d+', 'lastEntityId=<c>&lastIndexTime=<c>'))
  FROM emu_log('zoho_mail');
-- a value with ':' cannot be told apart inside searchKey: it stays local,
-- as a constant (EXPLAIN says so) and as a parameter (the request omits it)
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT raw FROM zoho_mail_audit WHERE performed_on = 'a::b' AND performed_by = '' AND status = 'success';
SELECT zoho_same($$SELECT raw FROM zoho_mail_audit WHERE performed_on = 'Zylker Corp:x'$$);
SET plan_cache_mode = force_generic_plan;
PREPARE zoho_by_target(text) AS SELECT raw FROM zoho_mail_audit WHERE performed_on = $1 AND status = 'success';
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE zoho_by_target('user@zylker.com');
CREATE TEMP TABLE zoho_prepared AS EXECUTE zoho_by_target('user@zylker.com');
CREATE TEMP TABLE zoho_prepared2 AS EXECUTE zoho_by_target('status:failure');
SELECT (SELECT count(*) FROM zoho_prepared) = (SELECT count(*) FROM all_rows WHERE performed_on = 'user@zylker.com' AND status = 'success') AS prepared_matches,
       (SELECT count(*) FROM zoho_prepared2) AS injected_rows;
DEALLOCATE zoho_by_target;
RESET plan_cache_mode;
SELECT emu_now(regexp_replace(line, 'lastEntityId=[^&]*&lastIndexTime=\d+', 'lastEntityId=<c>&lastIndexTime=<c>'))
  FROM emu_log('zoho_mail');
-- IN lists and the other columns stay local
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT raw FROM zoho_mail_audit
   WHERE status IN ('success', 'failure') AND category = 'MAILBOX' AND sub_category = 'MAILBOX_USER'
     AND client_ip = '2001:db8::1' AND main_category = 'Users';
SELECT zoho_same($$SELECT raw FROM zoho_mail_audit WHERE operation_type IN ('ADD', 'DELETE') AND category = 'MAILBOX' AND data->>'emailId' = 'user@zylker.com'$$);
-- contradictions need no request
SELECT emu_clear('zoho_mail');
SELECT count(*) FROM zoho_mail_audit WHERE status = 'success' AND status = 'failure';
SELECT count(*) AS requests FROM emu_log('zoho_mail');
-- the token cache: a token the vendor no longer knows (the emulator's reset
-- forgets every token it minted) gets one refresh, and the scan goes on
SELECT emu_reset('zoho_mail', 'rate_limit_per_min=0');
SELECT zoho_same($$SELECT raw FROM zoho_mail_audit WHERE request_time >= '2026-10-31'$$);
SELECT zoho_same($$SELECT raw FROM zoho_mail_audit WHERE request_time >= '2026-10-30'$$);
SELECT split_part(line, '?', 1) AS request FROM emu_log('zoho_mail');
-- zoho_leaks(text): does text hold a secret of a Zoho user mapping?
CREATE FUNCTION zoho_leaks(t text) RETURNS boolean LANGUAGE sql AS $$
  SELECT coalesce(bool_or(strpos(t, split_part(o, '=', 2)) > 0), false)
    FROM pg_user_mappings m, unnest(m.umoptions) o
   WHERE m.srvname LIKE 'zoho%' AND o ~ '^(client_secret|refresh_token|oauth_token)=' $$;
-- an oauth_token is used as given, and never refreshed
CREATE SERVER zoho_token FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zoho_mail', base_url :'zoho_url', zoid '57047751', min_request_interval_ms '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER zoho_token OPTIONS (oauth_token 'zoho-test-oauth');
CREATE FOREIGN TABLE zoho_token (request_time timestamptz, status text) SERVER zoho_token;
SELECT count(*) FROM zoho_token WHERE request_time >= '2026-10-31';
ALTER USER MAPPING FOR CURRENT_USER SERVER zoho_token OPTIONS (SET oauth_token 'expired-zoho-token-42');
SELECT try('SELECT * FROM zoho_token');
SELECT zoho_leaks(try('SELECT * FROM zoho_token')) AS secret_in_error;
-- bad client or refresh token: Zoho says so in a 200 body; 28000
CREATE SERVER zoho_bad FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zoho_mail', base_url :'zoho_url', accounts_url :'zoho_url', zoid '57047751');
CREATE USER MAPPING FOR CURRENT_USER SERVER zoho_bad
  OPTIONS (client_id 'zoho-test-client', client_secret 'zoho-test-secret', refresh_token 'revoked-refresh-token-7');
CREATE FOREIGN TABLE zoho_bad (request_time timestamptz) SERVER zoho_bad;
SELECT try('SELECT * FROM zoho_bad');
ALTER USER MAPPING FOR CURRENT_USER SERVER zoho_bad
  OPTIONS (SET client_secret 'wrong-zoho-secret-99', SET refresh_token 'zoho-test-refresh');
SELECT try('SELECT * FROM zoho_bad');
SELECT zoho_leaks(try('SELECT * FROM zoho_bad')) AS secret_in_error;
-- incomplete credentials
ALTER USER MAPPING FOR CURRENT_USER SERVER zoho_bad OPTIONS (DROP client_secret);
SELECT try('SELECT * FROM zoho_bad');
-- Zoho's own limit on refreshes (one was used since the reset above): one
-- attempt, a clear error, no hammering
ALTER USER MAPPING FOR CURRENT_USER SERVER zoho_bad OPTIONS (ADD client_secret 'zoho-test-secret');
SELECT emu('zoho_mail', '/_emu/config?refresh_limit=1') IS NOT NULL;
SELECT emu_clear('zoho_mail');
SELECT try('SELECT * FROM zoho_bad');
SELECT * FROM emu_log('zoho_mail');
SELECT emu('zoho_mail', '/_emu/config?refresh_limit=10') IS NOT NULL;
-- a wrong zoid: the vendor's error in DETAIL
CREATE FOREIGN TABLE zoho_otherorg (request_time timestamptz) SERVER zoho_token;
ALTER SERVER zoho_token OPTIONS (SET zoid '42');
ALTER USER MAPPING FOR CURRENT_USER SERVER zoho_token OPTIONS (SET oauth_token 'zoho-test-oauth');
SELECT try('SELECT * FROM zoho_otherorg');
SELECT count(*) AS requests,
       count(*) FILTER (WHERE zoho_leaks(line)) AS secrets_in_requests
  FROM emu_log('zoho_mail');
-- 429 and 5xx are retried; rows stay exact
SELECT emu('zoho_mail', '/_emu/config?fault=rate_limit&fault_every=3&retry_after=1') IS NOT NULL;
SELECT zoho_same($$SELECT * FROM zoho_mail_audit$$);
SELECT count(*) FILTER (WHERE line LIKE '429 %') AS rate_limited,
       count(*) FILTER (WHERE line LIKE '200 %') AS ok FROM emu_log('zoho_mail');
SELECT emu('zoho_mail', '/_emu/config?fault=status&fault_status=500&fault_every=3') IS NOT NULL;
SELECT zoho_same($$SELECT * FROM zoho_mail_audit$$);
SELECT count(*) FILTER (WHERE line LIKE '500 %') AS failed,
       count(*) FILTER (WHERE line LIKE '200 %') AS ok FROM emu_log('zoho_mail');
-- Zoho's TOO_MANY_REQUESTS under another status (here 400) is throttling too
SELECT emu('zoho_mail', '/_emu/config?fault=rate_limit&fault_every=3&retry_after=0&rate_limit_status=400') IS NOT NULL;
SELECT zoho_same($$SELECT * FROM zoho_mail_audit$$);
SELECT count(*) FILTER (WHERE line LIKE '400 %') AS throttled_400,
       count(*) FILTER (WHERE line LIKE '200 %') AS ok FROM emu_log('zoho_mail');
-- ... and when it does not stop: 08006, never a partial result
CREATE FOREIGN TABLE zoho_noretry (request_time timestamptz) SERVER zoho_mail OPTIONS (max_retries '1');
SELECT emu('zoho_mail', '/_emu/config?fault=rate_limit&fault_every=1&fault_skip=2') IS NOT NULL;
SELECT try('SELECT * FROM zoho_noretry');
-- malformed bodies: HV000, never rows
SELECT emu('zoho_mail', '/_emu/config?fault=malformed&fault_every=1&fault_skip=2') IS NOT NULL;
SELECT try('SELECT * FROM zoho_mail_audit');
SELECT emu('zoho_mail', '/_emu/config?fault=none') IS NOT NULL;
SELECT emu_clear('zoho_mail');
-- pacing (by default a request every 2 s per scan: a limit of 30 a minute
-- is reported for Zoho): a cancel interrupts the pause
CREATE FOREIGN TABLE zoho_paced (request_time timestamptz) SERVER zoho_mail
  OPTIONS (min_request_interval_ms '10000', page_size '100');
CREATE TEMP TABLE zoho_timing (t0 timestamptz, t1 timestamptz);
INSERT INTO zoho_timing (t0) VALUES (clock_timestamp());
SET statement_timeout = '500ms';
SELECT count(*) FROM zoho_paced;
RESET statement_timeout;
UPDATE zoho_timing SET t1 = clock_timestamp();
SELECT t1 - t0 < interval '1.5 seconds' AS stopped_within_a_second FROM zoho_timing;
-- statement_timeout stops a slow request within a second, with 57014
SELECT emu('zoho_mail', '/_emu/config?latency_ms=2500') IS NOT NULL;
TRUNCATE zoho_timing;
INSERT INTO zoho_timing (t0) VALUES (clock_timestamp());
SET statement_timeout = '300ms';
SELECT count(*) FROM zoho_mail_audit;
RESET statement_timeout;
UPDATE zoho_timing SET t1 = clock_timestamp();
SELECT t1 - t0 < interval '1.3 seconds' AS stopped_within_a_second FROM zoho_timing;
SELECT emu('zoho_mail', '/_emu/config?latency_ms=0') IS NOT NULL;
-- let the emulator finish the abandoned request, so it logs nothing later
SELECT pg_sleep(2.5);
SELECT count(*) FROM zoho_mail_audit WHERE request_time >= '2026-10-31';
SELECT emu_clear('zoho_mail');
