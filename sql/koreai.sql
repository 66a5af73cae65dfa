-- Kore.ai: IMPORT, exact full and filtered scans under page-number paging,
-- the date_time pushdown, JWT auth, throttling under any status, pacing,
-- errors and cancel
\getenv kore_port EMU_KOREAI_PORT
\set kore_url 'http://127.0.0.1:' :kore_port
SELECT emu_reset('koreai', 'rate_limit_per_min=0&rate_limit_per_hour=0');
-- pacing is off on this server to keep the test fast (tested further down)
CREATE SERVER koreai FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'koreai', base_url :'kore_url', min_request_interval_ms '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER koreai
  OPTIONS (client_id 'cs-kore-test-client', client_secret 'kore-test-secret-0123456789');
-- IMPORT FOREIGN SCHEMA
CREATE SCHEMA kore_imp;
IMPORT FOREIGN SCHEMA audit EXCEPT (koreai_audit) FROM SERVER koreai INTO kore_imp;
\det kore_imp.*
DROP SCHEMA kore_imp;
IMPORT FOREIGN SCHEMA audit FROM SERVER koreai INTO public;
\d koreai_audit
-- full scan: every record once, pages 0..14 of 100 over [epoch, scan start]
SELECT count(*), count(DISTINCT audit_log_id), min(date_time), max(date_time) FROM koreai_audit;
SELECT count(*) AS requests,
       string_agg(substring(line FROM 'offset=(\d+)$'), ',') AS offsets,
       bool_and(line ~ '^200 GET /api/public/auditlogs\?fromDate=1970-01-01T00:00:00\.000Z&toDate=<now>&size=100&offset=\d+$') AS shape
  FROM emu_log('koreai');
-- the ground truth for later comparisons: the emulator's own records
-- (/_emu/dump), never a copy read through the FDW; the full scan returns
-- exactly these
CREATE TEMP TABLE all_rows AS
  SELECT d->>'AuditLogId' AS audit_log_id,
         'epoch'::timestamptz + (d->>'timestampValue')::bigint * interval '1 ms' AS date_time,
         d->>'Name' AS name, d->>'Category' AS category, d->>'Description' AS description, d AS raw
    FROM emu_dump('koreai') d;
SELECT same_rows('SELECT * FROM koreai_audit', 'koreai_audit', 'all_rows');
SELECT emu_clear('koreai');
-- kore_same(q): q over the foreign table returns exactly the rows of q over all_rows
CREATE FUNCTION kore_same(q text) RETURNS text
LANGUAGE sql AS $$ SELECT same_rows(q, 'koreai_audit', 'all_rows') $$;
-- content: the vendor's field names with spaces and slashes, non-ASCII text
SELECT audit_log_id, date_time, name, category, description
  FROM all_rows ORDER BY date_time, audit_log_id LIMIT 3;
SELECT bool_and(audit_log_id ~ '^[0-9a-f]{24}$') AS object_ids,
       bool_and((raw->>'Date/Time')::timestamptz = date_time) AS date_time_field_agrees,
       bool_and((raw->>'timestampValue')::bigint = extract(epoch FROM date_time) * 1000) AS epoch_ms,
       count(*) FILTER (WHERE description ~ '[^\x01-\x7f]') > 0 AS non_ascii,
       count(DISTINCT category) AS categories
  FROM all_rows;
-- a hand-written table: a subset, renamed through column_name (the
-- vendor's own key "Date/Time" works too), and pages of 7 records
CREATE FOREIGN TABLE kore_small (
  "when" timestamptz OPTIONS (column_name 'Date/Time'),
  id text OPTIONS (column_name 'AuditLogId'),
  "Name" text
) SERVER koreai OPTIONS (page_size '7');
WITH f AS MATERIALIZED (SELECT "when", id, "Name" FROM kore_small),
     l AS MATERIALIZED (SELECT date_time, audit_log_id, name FROM all_rows)
SELECT (SELECT count(*) FROM f) AS n,
       (SELECT count(*) FROM (TABLE l EXCEPT ALL TABLE f) x) AS missing,
       (SELECT count(*) FROM (TABLE f EXCEPT ALL TABLE l) x) AS extra;
-- those pages split instants shared by several records, and each record
-- still came exactly once
SELECT count(*) AS page_boundaries_inside_an_instant FROM (
  SELECT date_time, lead(date_time) OVER (ORDER BY date_time, audit_log_id) AS next,
         row_number() OVER (ORDER BY date_time, audit_log_id) AS pos
    FROM all_rows) s
  WHERE pos % 7 = 0 AND date_time = next;
SELECT count(*) AS requests, bool_and(line LIKE '%&size=7&%') AS size_7,
       max(substring(line FROM 'offset=(\d+)$')::int) AS last_page
  FROM emu_log('koreai');
-- unknown column names fail at the first scan and list the valid ones
CREATE FOREIGN TABLE kore_bad (audit_log_id text, actor text) SERVER koreai;
SELECT * FROM kore_bad;
DROP FOREIGN TABLE kore_bad;
-- LIMIT asks for a small page and stops early
SELECT count(*) FROM (SELECT * FROM koreai_audit LIMIT 3) s;
SELECT * FROM emu_log('koreai');
-- date_time ranges go to fromDate/toDate as ISO with milliseconds, UTC,
-- widened by 1 ms (inclusivity is undocumented); an open end is pinned
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT audit_log_id FROM koreai_audit
   WHERE date_time >= '2026-10-20 00:00:00+00' AND date_time < '2026-10-21 00:00:00+00';
SELECT kore_same($$SELECT audit_log_id, date_time FROM koreai_audit WHERE date_time >= '2026-10-20 00:00:00+00' AND date_time < '2026-10-21 00:00:00+00'$$);
SELECT * FROM emu_log('koreai');
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT audit_log_id FROM koreai_audit WHERE date_time > now() - interval '30 days';
SELECT kore_same($$SELECT audit_log_id FROM koreai_audit WHERE date_time > '2026-10-31 12:00:00.5+00'$$);
SELECT kore_same($$SELECT audit_log_id FROM koreai_audit WHERE date_time <= '2026-10-03 00:00:00+00'$$);
SELECT kore_same($$SELECT audit_log_id FROM koreai_audit WHERE date_time BETWEEN '2026-10-10' AND '2026-10-11'$$);
-- a stable expression is evaluated once at scan start, and sent
SELECT kore_same($$SELECT audit_log_id FROM koreai_audit WHERE date_time >= least(now(), '2026-10-31 00:00:00+00')$$);
SELECT emu_now(line) FROM emu_log('koreai');
-- bounds on instants shared by several records, whatever the vendor's
-- bound semantics, and pages of 7 inside such a range
CREATE TEMP TABLE kore_burst AS
  SELECT date_time FROM all_rows GROUP BY 1 HAVING count(*) >= 3 ORDER BY 1 LIMIT 2;
SELECT count(*) FROM kore_burst;
SELECT emu('koreai', '/_emu/config?date_bounds=' || mode) IS NOT NULL AS set, mode,
       kore_same(format($$SELECT audit_log_id FROM koreai_audit WHERE date_time >= %L AND date_time <= %L$$,
                        (SELECT min(date_time) FROM kore_burst), (SELECT max(date_time) FROM kore_burst))) AS closed,
       kore_same(format($$SELECT audit_log_id FROM koreai_audit WHERE date_time > %L AND date_time < %L$$,
                        (SELECT min(date_time) FROM kore_burst), (SELECT max(date_time) FROM kore_burst))) AS open,
       kore_same(format($$SELECT audit_log_id FROM koreai_audit WHERE date_time = %L$$,
                        (SELECT min(date_time) FROM kore_burst))) AS equal
  FROM (VALUES ('inclusive'), ('exclusive'), ('half_open')) v(mode);
SELECT emu('koreai', '/_emu/config?date_bounds=inclusive') IS NOT NULL;
SELECT emu_clear('koreai');
-- everything else stays local (the API has no other filter)
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT * FROM koreai_audit
   WHERE name = 'Logout' AND category IN ('Login/Logout', 'User Management')
     AND audit_log_id = 'x' AND date_time >= '2026-10-30';
SELECT kore_same($$SELECT * FROM koreai_audit WHERE name = 'Logout' AND category IN ('Login/Logout', 'User Management') AND date_time >= '2026-10-30'$$);
SELECT count(*) FROM koreai_audit WHERE date_time > '2026-10-10' AND date_time < '2026-10-09';
SELECT emu_now(line) FROM emu_log('koreai');
-- rescans (forced nested loop): a fresh token and the same rows each time
SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_material = off;
SELECT count(*) FROM (VALUES ('Logout'), ('Role changed')) v(n)
  JOIN koreai_audit k ON k.name = v.n AND k.date_time >= '2026-10-25';
SELECT count(*) FROM (VALUES ('Logout'), ('Role changed')) v(n)
  JOIN all_rows k ON k.name = v.n AND k.date_time >= '2026-10-25';
RESET enable_hashjoin; RESET enable_mergejoin; RESET enable_material;
SELECT emu_clear('koreai');
-- a JWT given in the user mapping (here made with SQL's own sha256 and the
-- emulator's app secret, which also checks that the extension signs the
-- way the vendor expects)
CREATE FUNCTION kore_b64url(b bytea) RETURNS text LANGUAGE sql AS
  $$ SELECT translate(encode(b, 'base64'), E'+/=\n', '-_') $$;
CREATE FUNCTION kore_hs256(key bytea, msg bytea) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE
  k bytea := key || decode(repeat('00', 64 - length(key)), 'hex');
  ki bytea := k; ko bytea := k;
BEGIN
  FOR i IN 0..63 LOOP
    ki := set_byte(ki, i, get_byte(k, i) # 54);
    ko := set_byte(ko, i, get_byte(k, i) # 92);
  END LOOP;
  RETURN sha256(ko || sha256(ki || msg));
END $$;
SELECT h || '.' || kore_b64url(kore_hs256(convert_to(k, 'UTF8'), convert_to(h, 'UTF8'))) AS kore_jwt
  FROM (SELECT kore_b64url(convert_to('{"alg":"HS256","typ":"JWT"}', 'UTF8')) || '.' ||
               kore_b64url(convert_to('{"sub":"regress","appId":"cs-kore-test-client"}', 'UTF8')) AS h,
               (SELECT string_agg(e, '')::jsonb->>'client_secret' FROM emu('koreai', '/_emu/config') e) AS k) s \gset
CREATE SERVER kore_jwt FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'koreai', base_url :'kore_url', min_request_interval_ms '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER kore_jwt OPTIONS (jwt :'kore_jwt');
CREATE FOREIGN TABLE kore_jwt (audit_log_id text, date_time timestamptz) SERVER kore_jwt;
SELECT count(*) FROM kore_jwt WHERE date_time >= '2026-10-31';
-- kore_leaks(server, text): does text hold a secret of the server's user mapping?
CREATE FUNCTION kore_leaks(server text, t text) RETURNS boolean LANGUAGE sql AS $$
  SELECT coalesce(bool_or(strpos(t, split_part(o, '=', 2)) > 0), false)
    FROM pg_user_mappings m, unnest(m.umoptions) o
   WHERE m.srvname = server AND o ~ '^(client_secret|jwt)=' $$;
-- auth failures: 28000, the vendor's text in DETAIL, no secret anywhere
ALTER USER MAPPING FOR CURRENT_USER SERVER kore_jwt OPTIONS (SET jwt 'eyJhbGciOiJIUzI1NiJ9.e30.forged-signature');
SELECT try('SELECT * FROM kore_jwt');
CREATE SERVER kore_bad FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'koreai', base_url :'kore_url', min_request_interval_ms '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER kore_bad
  OPTIONS (client_id 'cs-kore-test-client', client_secret 'wrong-kore-secret-987');
CREATE FOREIGN TABLE kore_bad (audit_log_id text) SERVER kore_bad;
SELECT try('SELECT * FROM kore_bad');
SELECT kore_leaks('kore_bad', try('SELECT * FROM kore_bad')) AS secret_in_error,
       kore_leaks('kore_jwt', try('SELECT * FROM kore_jwt')) AS jwt_in_error;
-- an app without the audit-log scope: 403, also 28000
ALTER USER MAPPING FOR CURRENT_USER SERVER kore_bad
  OPTIONS (SET client_id 'cs-kore-noscope-client', SET client_secret 'kore-noscope-secret-0123456789');
SELECT try('SELECT * FROM kore_bad');
-- incomplete or other vendors' credentials
ALTER USER MAPPING FOR CURRENT_USER SERVER kore_bad OPTIONS (DROP client_secret);
SELECT try('SELECT * FROM kore_bad');
ALTER USER MAPPING FOR CURRENT_USER SERVER kore_bad OPTIONS (ADD api_token 'x');
SELECT try('SELECT * FROM kore_bad');
SELECT count(*) FILTER (WHERE line ~ '^40[13] ') AS refused,
       count(*) FILTER (WHERE line ~* 'secret|jwt|auth') AS secrets_in_requests
  FROM emu_log('koreai');
-- 429 and 5xx are retried; rows stay exact
SELECT emu('koreai', '/_emu/config?fault=rate_limit&fault_every=4&retry_after=1') IS NOT NULL;
SELECT kore_same($$SELECT * FROM koreai_audit WHERE date_time >= '2026-10-22'$$);
SELECT count(*) FILTER (WHERE line LIKE '429 %') AS rate_limited,
       count(*) FILTER (WHERE line LIKE '200 %') AS ok FROM emu_log('koreai');
SELECT emu('koreai', '/_emu/config?fault=status&fault_status=503&fault_every=3') IS NOT NULL;
SELECT kore_same($$SELECT * FROM koreai_audit WHERE date_time >= '2026-10-22'$$);
SELECT count(*) FILTER (WHERE line LIKE '503 %') AS unavailable,
       count(*) FILTER (WHERE line LIKE '200 %') AS ok FROM emu_log('koreai');
-- Kore's rate-limit answer under another status (here 400, no Retry-After)
-- is known by its message and retried too
SELECT emu('koreai', '/_emu/config?fault=rate_limit&fault_every=3&retry_after=0&rate_limit_status=400') IS NOT NULL;
SELECT kore_same($$SELECT * FROM koreai_audit WHERE date_time >= '2026-10-22'$$);
SELECT count(*) FILTER (WHERE line LIKE '400 %') AS throttled_400,
       count(*) FILTER (WHERE line LIKE '200 %') AS ok FROM emu_log('koreai');
-- the real limit, answered with 403: throttling, not an auth failure
SELECT emu('koreai', '/_emu/config?fault=none&rate_limit_per_min=3&rate_limit_status=403') IS NOT NULL;
CREATE FOREIGN TABLE kore_noretry (audit_log_id text, date_time timestamptz)
  SERVER koreai OPTIONS (max_retries '1', page_size '20');
SELECT try($$SELECT * FROM kore_noretry WHERE date_time >= '2026-10-29'$$);
SELECT string_agg(split_part(line, ' ', 1), ',') AS statuses FROM emu_log('koreai');
SELECT emu_reset('koreai', 'rate_limit_per_min=0&rate_limit_per_hour=0');
-- malformed bodies: HV000, never rows
SELECT emu('koreai', '/_emu/config?fault=malformed&fault_every=1&fault_skip=2') IS NOT NULL;
SELECT try($$SELECT * FROM koreai_audit$$);
SELECT emu('koreai', '/_emu/config?fault=cut&fault_every=1&fault_skip=2') IS NOT NULL;
SELECT try($$SELECT * FROM koreai_audit$$);
SELECT emu('koreai', '/_emu/config?fault=none') IS NOT NULL;
-- the truth: the emulator's own records (/_emu/dump), never a copy read
-- back through the FDW
CREATE FUNCTION kore_dump() RETURNS TABLE (audit_log_id text, date_time timestamptz, name text,
                                           category text, description text)
LANGUAGE sql AS $$
  SELECT d->>'AuditLogId', 'epoch'::timestamptz + (d->>'timestampValue')::bigint * interval '1 ms',
         d->>'Name', d->>'Category', d->>'Description'
    FROM emu_dump('koreai') d $$;
CREATE TEMP TABLE kore_truth AS SELECT * FROM kore_dump();
SELECT count(*) FROM kore_truth;
CREATE FOREIGN TABLE kore_p50 (audit_log_id text, date_time timestamptz, name text,
  category text, description text) SERVER koreai OPTIONS (page_size '50');
SELECT same_rows('SELECT * FROM kore_p50', 'kore_p50', 'kore_truth');
-- harmless variance never fails a scan: "total" counting the window, the
-- page, roughly the window or at most 1000; records ascending, descending
-- or shuffled within each page
SELECT t AS total_mode, o AS "order",
       emu('koreai', format('/_emu/config?total_mode=%s&order=%s', t, o)) IS NOT NULL AS set,
       same_rows('SELECT * FROM kore_p50', 'kore_p50', 'kore_truth') AS full_scan
  FROM (VALUES ('exact'), ('page'), ('approx'), ('capped')) a(t),
       (VALUES ('asc'), ('desc'), ('shuffled')) b(o) ORDER BY 1, 2;
SELECT same_rows($$SELECT * FROM kore_p50 WHERE date_time >= '2026-10-20' AND date_time < '2026-10-25'$$,
                 'kore_p50', 'kore_truth');
SELECT emu_reset('koreai', 'rate_limit_per_min=0&rate_limit_per_hour=0');
-- records arriving inside the window while the scan pages through it
-- shift the later pages: each repeated AuditLogId is skipped at the page
-- boundary, so every record comes exactly once (newest first, 7 records
-- arrive after the 3rd page; the newcomers' positions were read already)
SELECT emu_reset('koreai', 'rate_limit_per_min=0&rate_limit_per_hour=0&order=desc&grow_after=3&grow_by=7');
SELECT same_rows('SELECT * FROM kore_p50', 'kore_p50', 'kore_truth');
SELECT count(*) - (SELECT count(*) FROM kore_truth) AS arrived FROM kore_dump();
-- ... the same ascending, with late records before the oldest
SELECT emu_reset('koreai', 'rate_limit_per_min=0&rate_limit_per_hour=0&order=shuffled&grow_after=5&grow_by=3&grow_at=oldest');
SELECT same_rows('SELECT * FROM kore_p50', 'kore_p50', 'kore_truth');
-- ... and ascending with new records at the end: they are read too
SELECT emu_reset('koreai', 'rate_limit_per_min=0&rate_limit_per_hour=0&grow_after=5&grow_by=3');
CREATE TEMP TABLE kore_got AS SELECT * FROM kore_p50;
CREATE TEMP TABLE kore_after AS SELECT * FROM kore_dump();
SELECT same_rows('SELECT * FROM kore_got', 'kore_got', 'kore_after');
-- more than a page arriving at once could repeat records the scan no
-- longer remembers: that fails loudly
SELECT emu_reset('koreai', 'rate_limit_per_min=0&rate_limit_per_hour=0&order=desc&grow_after=3&grow_by=60');
SELECT regexp_replace(try('SELECT * FROM kore_p50'), 'GET \S+', 'GET <request>');
-- evidence of a lost row fails the scan: a page shorter than size before
-- the end (page numbers cannot reach the rest of it)
SELECT emu_reset('koreai', 'rate_limit_per_min=0&rate_limit_per_hour=0&short_pages=1');
SELECT regexp_replace(try('SELECT * FROM kore_p50'), 'GET \S+', 'GET <request>');
-- a vendor that ignores fromDate/toDate returns records far outside the
-- window: an error naming the likely causes, not a silent filter
SELECT emu_reset('koreai', 'rate_limit_per_min=0&rate_limit_per_hour=0&ignore_dates=1');
SELECT try($$SELECT * FROM kore_p50 WHERE date_time >= '2026-10-20' AND date_time < '2026-10-21'$$);
SELECT emu_reset('koreai', 'rate_limit_per_min=0&rate_limit_per_hour=0');
-- pacing: by default one request a second per scan (Kore allows 60 a minute)
CREATE SERVER kore_paced FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'koreai', base_url :'kore_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER kore_paced
  OPTIONS (client_id 'cs-kore-test-client', client_secret 'kore-test-secret-0123456789');
CREATE FOREIGN TABLE kore_paced (audit_log_id text, date_time timestamptz) SERVER kore_paced;
CREATE TEMP TABLE kore_timing (t0 timestamptz, t1 timestamptz);
INSERT INTO kore_timing (t0) VALUES (clock_timestamp());
SELECT count(*) FROM kore_paced WHERE date_time >= '2026-10-30 00:00:00+00';
UPDATE kore_timing SET t1 = clock_timestamp();
SELECT count(*) AS requests FROM emu_log('koreai');
SELECT t1 - t0 >= interval '0.9 seconds' AS paced, t1 - t0 < interval '2.5 seconds' AS not_too_slow FROM kore_timing;
-- ... and the pause between requests is cancellable
TRUNCATE kore_timing;
ALTER FOREIGN TABLE kore_paced OPTIONS (ADD min_request_interval_ms '10000');
INSERT INTO kore_timing (t0) VALUES (clock_timestamp());
SET statement_timeout = '500ms';
SELECT count(*) FROM kore_paced WHERE date_time >= '2026-10-30 00:00:00+00';
RESET statement_timeout;
UPDATE kore_timing SET t1 = clock_timestamp();
SELECT t1 - t0 < interval '1.5 seconds' AS stopped_within_a_second FROM kore_timing;
-- statement_timeout stops a slow request within a second, with 57014
SELECT emu('koreai', '/_emu/config?latency_ms=2500') IS NOT NULL;
TRUNCATE kore_timing;
INSERT INTO kore_timing (t0) VALUES (clock_timestamp());
SET statement_timeout = '300ms';
SELECT count(*) FROM koreai_audit;
RESET statement_timeout;
UPDATE kore_timing SET t1 = clock_timestamp();
SELECT t1 - t0 < interval '1.3 seconds' AS stopped_within_a_second FROM kore_timing;
SELECT emu('koreai', '/_emu/config?latency_ms=0') IS NOT NULL;
-- let the emulator finish the abandoned request, so it logs nothing later
SELECT pg_sleep(2.5);
SELECT count(*) FROM koreai_audit WHERE date_time >= '2026-10-31';
SELECT emu_clear('koreai');
