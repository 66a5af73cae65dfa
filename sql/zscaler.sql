-- Zscaler ZIA: asynchronous reports (submit, poll, download CSV), windows
-- under the 31-day and row caps, pushdown with label -> enum translation,
-- CSV shapes and time formats, auth, job errors and cancellation
\getenv zs_port EMU_ZSCALER_PORT
\set zs_url 'http://127.0.0.1:' :zs_port
-- the data ends "now", so the 183-day retention (counted from the scan's
-- start) never depends on the day the tests run; rate limits are tested
-- on their own below
\set zs_emu 'anchor=now&report_delay_ms=0&post_per_min=0&post_per_hour=0&req_per_sec=0&req_per_hour=0'
SELECT emu_reset('zscaler', :'zs_emu');
CREATE SERVER zscaler FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zscaler', base_url :'zs_url', poll_interval_ms '10');
CREATE USER MAPPING FOR CURRENT_USER SERVER zscaler
  OPTIONS (username 'admin@example.com', password 'zia-test-password', api_key 'ZiaTestKey2026xyz');
IMPORT FOREIGN SCHEMA audit FROM SERVER zscaler INTO public;
\d zscaler_audit
-- zs_log(): the emulator's request log since the last call, parsed
CREATE FUNCTION zs_log() RETURNS TABLE (n int, status text, method text, path text, body jsonb,
                                        line text)
LANGUAGE sql AS $$
  SELECT row_number() OVER ()::int, split_part(e, ' ', 1), split_part(e, ' ', 2),
         split_part(split_part(e, ' ', 3), '?', 1),
         CASE WHEN e ~ ' \{.*\}$' THEN substring(e FROM ' (\{.*\})$')::jsonb END, e
    FROM emu('zscaler', '/_emu/log?clear=1') e $$;
-- zs_take_log(): keep the log in zs_req; zs_windows: its reports' windows
CREATE TABLE zs_req AS SELECT * FROM zs_log() WHERE false;
CREATE FUNCTION zs_take_log() RETURNS void LANGUAGE sql AS $$
  DELETE FROM zs_req;
  INSERT INTO zs_req SELECT * FROM zs_log() $$;
CREATE VIEW zs_windows AS
  SELECT n, (body->>'startTime')::bigint AS s, (body->>'endTime')::bigint AS e,
         body - 'startTime' - 'endTime' AS filters
    FROM zs_req WHERE method = 'POST' AND path LIKE '%/auditlogEntryReport';
-- every window at most 31 days with an inclusive end at ...999, two windows
-- either disjoint or nested (a narrowed window is split in two)
CREATE FUNCTION zs_windows_ok() RETURNS TABLE (reports bigint, max_31_days bool,
                                                whole_seconds bool, disjoint_or_nested bool)
LANGUAGE sql AS $$
  SELECT count(*), bool_and(e - s <= 2678399999), bool_and(s % 1000 = 0 AND e % 1000 = 999),
         NOT EXISTS (SELECT FROM zs_windows a, zs_windows b
                      WHERE a.n < b.n AND a.s <= b.e AND b.s <= a.e
                        AND NOT (a.s <= b.s AND b.e <= a.e) AND NOT (b.s <= a.s AND a.e <= b.e))
    FROM zs_windows $$;

-- EXPLAIN: the first report's request, labels sent as the API's enums
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT * FROM zscaler_audit WHERE time >= '2026-10-01' AND time < '2026-10-02';
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT time, action FROM zscaler_audit
   WHERE time >= '2026-10-01' AND action IN ('Update', 'Sign In') AND result = 'Failure'
     AND interface = 'Admin UI' AND category = 'Firewall Policy'
     AND subcategory IN ('NAT Control', 'DNS Control') AND client_ip = '2001:db8::1'
     AND admin_name = 'admin@example.com' AND trace_id = 'abc';
-- enum spellings work too; a label without a known enum stays local, and
-- so does an IN list with one; filters that take one value keep IN local
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT time FROM zscaler_audit
   WHERE time >= '2026-10-01' AND action = 'SIGN_OUT' AND result = 'Maybe'
     AND subcategory IN ('NAT Control', 'Nope') AND category IN ('Security', 'Login');
-- more than 31 days: the newest window comes first; a run-time bound is
-- shown as its expression
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT time FROM zscaler_audit WHERE time BETWEEN '2026-06-01' AND '2026-10-01';
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT time FROM zscaler_audit WHERE time >= now() - interval '2 days';
-- a parameter's enum cannot be known at plan time: it stays local
PREPARE zs_p(text, timestamptz) AS SELECT time FROM zscaler_audit WHERE action = $1 AND time >= $2;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE zs_p('Update', '2026-10-01');
RESET plan_cache_mode;
DEALLOCATE zs_p;
SELECT count(*) FROM zs_log();

-- ground truth: the emulator without its row cap (the FDW still narrows
-- every window of 1000 rows, so this also pages through the dense days)
SELECT emu('zscaler', '/_emu/config?row_cap=1000000') IS NOT NULL;
CREATE TABLE zs_all AS SELECT * FROM zscaler_audit;
SELECT count(*) AS rows, count(*) - count(DISTINCT raw::text) > 0 AS has_identical_copies,
       max(time) - min(time) < interval '181 days' AS spans_180_days
  FROM zs_all;
SELECT zs_take_log();
SELECT reports >= 6 AS six_windows_or_more, max_31_days, whole_seconds, disjoint_or_nested
  FROM zs_windows_ok();
-- one login for the whole scan, no report without its download
SELECT count(*) FILTER (WHERE path LIKE '%authenticatedSession') AS logins,
       count(*) FILTER (WHERE method = 'POST' AND path LIKE '%Report')
         = count(*) FILTER (WHERE path LIKE '%/download') AS all_downloaded,
       bool_and(status IN ('200', '204')) AS all_ok
  FROM zs_req;
-- content: labels, IPv4 and IPv6, non-ASCII, quotes, commas, newlines
SELECT count(DISTINCT action) AS actions, count(*) FILTER (WHERE family(client_ip) = 6) > 0 AS ipv6,
       count(*) FILTER (WHERE admin_name ~ '[^\x01-\x7f]') > 0 AS non_ascii,
       count(*) FILTER (WHERE admin_name LIKE '"ops, team"@%') > 0 AS quoted_comma,
       count(*) FILTER (WHERE pre_action LIKE '%' || chr(10) || '%') > 0 AS newlines,
       count(*) FILTER (WHERE trace_id <> '') > 0 AS trace_ids,
       bool_and(raw->>'Action' = action AND raw->>'Sub-Category' = subcategory) AS raw_matches
  FROM zs_all;
SELECT action, result, interface, category, subcategory FROM zs_all
 GROUP BY 1, 2, 3, 4, 5 ORDER BY count(*) DESC, 1, 2, 3, 4, 5 LIMIT 5;
SELECT jsonb_object_keys(raw) AS csv_header FROM (SELECT raw FROM zs_all LIMIT 1) r;
-- zs_diff(table): rows missing from / extra in a table, compared with the truth
CREATE FUNCTION zs_diff(tbl regclass, OUT missing bigint, OUT extra bigint)
LANGUAGE plpgsql AS $$
DECLARE
  cols text := 'time, admin_name, action, result, client_ip, interface, category, subcategory, '
               'resource, pre_action, post_action, trace_id';
BEGIN
  EXECUTE format('CREATE TEMP TABLE zs_got AS SELECT %s FROM %s', cols, tbl);
  EXECUTE format('SELECT count(*) FROM (SELECT %s FROM zs_all EXCEPT ALL SELECT * FROM zs_got) d', cols)
    INTO missing;
  EXECUTE format('SELECT count(*) FROM (SELECT * FROM zs_got EXCEPT ALL SELECT %s FROM zs_all) d', cols)
    INTO extra;
  DROP TABLE zs_got;
END $$;

-- the real cap: windows at 1000 rows are halved until every report is
-- under it; the rows are exactly the truth's
SELECT emu('zscaler', '/_emu/config?row_cap=1000') IS NOT NULL;
SELECT * FROM zs_diff('zscaler_audit');
-- narrowing in the log: the densest day's report is at the cap, so it is
-- asked for again as two halves (newest first)
SELECT date_trunc('day', time, 'UTC') AS dense_day FROM zs_all
 GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1 \gset
SELECT emu_clear('zscaler');
SELECT count(*) = (SELECT count(*) FROM zs_all WHERE time >= :'dense_day'
                     AND time < :'dense_day'::timestamptz + interval '1 day') AS exact
  FROM zscaler_audit
 WHERE time >= :'dense_day' AND time < :'dense_day'::timestamptz + interval '1 day';
SELECT zs_take_log();
SELECT ((s - extract(epoch FROM :'dense_day'::timestamptz) * 1000) / 3600000)::int AS from_hour,
       ((e + 1 - extract(epoch FROM :'dense_day'::timestamptz) * 1000) / 3600000)::int AS to_hour
  FROM zs_windows ORDER BY n;
-- a much smaller cap (the FDW learns it from row_cap): many more windows,
-- still every row exactly once, identical rows included
SELECT emu('zscaler', '/_emu/config?row_cap=50') IS NOT NULL;
CREATE FOREIGN TABLE zs_cap50 (time timestamptz, admin_name text, action text, result text,
  client_ip inet, interface text, category text, subcategory text, resource text,
  pre_action text, post_action text, trace_id text, raw jsonb)
  SERVER zscaler OPTIONS (row_cap '50');
SELECT * FROM zs_diff('zs_cap50');
SELECT zs_take_log();
SELECT reports > 100 AS many_reports, max_31_days, whole_seconds, disjoint_or_nested FROM zs_windows_ok();
SELECT emu('zscaler', '/_emu/config?row_cap=1000') IS NOT NULL;
-- a row_cap above the vendor's is an error, not a silent truncation
ALTER FOREIGN TABLE zs_cap50 OPTIONS (SET row_cap '1001');
SELECT try('SELECT * FROM zs_cap50');
ALTER FOREIGN TABLE zs_cap50 OPTIONS (SET row_cap '50');

-- pushdown: labels go out as enums, the result is the truth filtered locally
SELECT count(*) = (SELECT count(*) FROM zs_all WHERE action IN ('Update', 'Sign In')
                     AND result = 'Success' AND interface = 'Admin UI') AS exact
  FROM zscaler_audit WHERE action IN ('Update', 'Sign In') AND result = 'Success' AND interface = 'Admin UI';
SELECT zs_take_log();
SELECT DISTINCT filters FROM zs_windows;
SELECT count(*) = (SELECT count(*) FROM zs_all WHERE category = 'Firewall Policy'
                     AND subcategory IN ('NAT Control', 'DNS Control')) AS exact
  FROM zscaler_audit WHERE category = 'Firewall Policy' AND subcategory IN ('NAT Control', 'DNS Control');
SELECT zs_take_log();
SELECT DISTINCT filters FROM zs_windows;
-- admin and client IP go out as they are (the emulator matches a prefix;
-- the local recheck is exact)
SELECT count(*) = (SELECT count(*) FROM zs_all WHERE admin_name = 'admin@example.com'
                     AND client_ip = '2001:db8::1') AS exact
  FROM zscaler_audit WHERE admin_name = 'admin@example.com' AND client_ip = '2001:db8::1';
SELECT zs_take_log();
SELECT DISTINCT filters FROM zs_windows;
SELECT trace_id AS some_trace FROM zs_all WHERE trace_id <> '' ORDER BY time, trace_id LIMIT 1 \gset
SELECT count(*) = (SELECT count(*) FROM zs_all WHERE trace_id = :'some_trace') AS exact
  FROM zscaler_audit WHERE trace_id = :'some_trace';
SELECT zs_take_log();
SELECT DISTINCT filters = jsonb_build_object('traceId', :'some_trace') AS trace_sent FROM zs_windows;
-- labels match the enums ignoring case; the local recheck stays exact
SELECT count(*) AS lower_case_rows FROM zscaler_audit WHERE result = 'success';
SELECT zs_take_log();
SELECT DISTINCT filters FROM zs_windows;
-- a label without an enum is filtered locally: nothing sent, rows exact
SELECT count(*) = (SELECT count(*) FROM zs_all WHERE action = 'Partial') AS exact
  FROM zscaler_audit WHERE action = 'Partial';
SELECT zs_take_log();
SELECT DISTINCT filters FROM zs_windows;
-- a time range is sent as whole seconds, and the bounds are exact
SELECT min(time) AS t1, max(time) AS t2 FROM (SELECT time FROM zs_all ORDER BY time LIMIT 200) f \gset
SELECT count(*) = (SELECT count(*) FROM zs_all WHERE time > :'t1' AND time <= :'t2') AS exact
  FROM zscaler_audit WHERE time > :'t1' AND time <= :'t2';
SELECT zs_take_log();
SELECT min(s) = extract(epoch FROM :'t1'::timestamptz) * 1000 AS starts_at_t1,
       max(e) = extract(epoch FROM :'t2'::timestamptz) * 1000 + 999 AS ends_after_t2
  FROM zs_windows;
-- LIMIT stops early
SELECT count(*) FROM (SELECT * FROM zscaler_audit LIMIT 5) l;
SELECT count(*) > 0 FROM zs_log();

-- CSV shapes: the header on line 1 with other spellings (Timestamp,
-- Sub-Category -> Subcategory, Pre-Action), no preamble, no footer
SELECT emu('zscaler', '/_emu/config?csv_style=plain') IS NOT NULL;
SELECT * FROM zs_diff('zscaler_audit');
SELECT count(*) FROM zscaler_audit WHERE NOT raw ? 'Timestamp' OR NOT raw ? 'Subcategory';
-- a BOM, LF line ends, oldest first, no footer
SELECT emu('zscaler', '/_emu/config?csv_style=ui&csv_bom=1&csv_line_end=lf&csv_order=asc&csv_footer=0') IS NOT NULL;
SELECT * FROM zs_diff('zscaler_audit');
SELECT emu('zscaler', '/_emu/config?csv_bom=0&csv_line_end=crlf&csv_order=desc&csv_footer=1') IS NOT NULL;
-- time formats: with an offset, or a zone abbreviation, nothing else is needed
SELECT emu('zscaler', '/_emu/config?time_zone=America/Los_Angeles&time_format=iso') IS NOT NULL;
SELECT * FROM zs_diff('zscaler_audit');
SELECT emu('zscaler', '/_emu/config?time_format=long') IS NOT NULL;
SELECT * FROM zs_diff('zscaler_audit');
SELECT raw->>'Time' ~ '^[A-Z][a-z]+ \d{1,2}, \d{4} \d\d:\d\d:\d\d [AP]M P[SD]T$' AS long_format
  FROM zscaler_audit LIMIT 1;
-- local times without a zone are read in report_time_zone (the admin's
-- profile zone), here one without DST and with a half-hour offset
SELECT emu('zscaler', '/_emu/config?time_zone=Asia/Kolkata&time_format=us') IS NOT NULL;
-- without it every time is read 5.5 hours late: rows fall outside the
-- window their job asked for, which fails the scan (h-loud)
SELECT split_part(try('SELECT * FROM zscaler_audit'), E'\n', 1) AS wrong_zone;
CREATE FOREIGN TABLE zs_india (time timestamptz, admin_name text, action text, result text,
  client_ip inet, interface text, category text, subcategory text, resource text,
  pre_action text, post_action text, trace_id text)
  SERVER zscaler OPTIONS (report_time_zone 'Asia/Kolkata');
SELECT * FROM zs_diff('zs_india');
SELECT emu('zscaler', '/_emu/config?time_format=plain') IS NOT NULL;
SELECT * FROM zs_diff('zs_india');
ALTER SERVER zscaler OPTIONS (ADD report_time_zone 'Asia/Kolkata');
SELECT * FROM zs_diff('zscaler_audit');
ALTER SERVER zscaler OPTIONS (DROP report_time_zone);
CREATE FOREIGN TABLE zs_badzone (time timestamptz) SERVER zscaler OPTIONS (report_time_zone 'Mars/Olympus');
SELECT emu('zscaler', '/_emu/config?time_zone=UTC') IS NOT NULL;

-- a report body cut short, or a page that is no CSV: HV000, never rows
-- (the server's options changed, so log in first: the faults count requests)
SELECT count(*) > 0 AS works FROM zscaler_audit WHERE time >= now() - interval '1 day';
SELECT emu('zscaler', '/_emu/config?gzip=0&fault=cut&fault_skip=2&fault_every=1&fault_count=1') IS NOT NULL;
SELECT split_part(try($$SELECT * FROM zscaler_audit WHERE time >= now() - interval '20 days'$$), E'\n', 1);
SELECT emu('zscaler', '/_emu/config?fault=malformed&fault_skip=2&fault_every=1&fault_count=1') IS NOT NULL;
SELECT try($$SELECT * FROM zscaler_audit WHERE time >= now() - interval '20 days'$$);
-- a transfer dropped midway is retried
SELECT emu('zscaler', '/_emu/config?gzip=1&fault=truncate&fault_skip=2&fault_every=1&fault_count=1') IS NOT NULL;
SELECT count(*) = (SELECT count(*) FROM zs_all WHERE time >= now() - interval '20 days') AS exact
  FROM zscaler_audit WHERE time >= now() - interval '20 days';
-- the report POST is rate-limited (10 a minute): 429 with Retry-After,
-- which is honoured, then the report is made
SELECT emu('zscaler', '/_emu/config?fault=rate_limit&fault_skip=0&fault_every=1&fault_count=1&retry_after=1') IS NOT NULL;
SELECT emu_clear('zscaler');
SELECT count(*) = (SELECT count(*) FROM zs_all WHERE time >= now() - interval '2 days') AS exact
  FROM zscaler_audit WHERE time >= now() - interval '2 days';
SELECT status, method, path FROM zs_log() ORDER BY n;
SELECT emu('zscaler', '/_emu/config?fault=none') IS NOT NULL;

-- the retention (183 days): an older bound is clipped (with a NOTICE,
-- which test/t checks; its text holds the scan's start)
SET client_min_messages = warning;
SELECT count(*) = (SELECT count(*) FROM zs_all) AS exact FROM zscaler_audit WHERE time >= '2000-01-01';
RESET client_min_messages;
SELECT zs_take_log();
SELECT abs(min(s) / 1000 - extract(epoch FROM now() - 183 * interval '24 hours')) < 5 AS starts_at_retention
  FROM zs_windows;

-- one second holding more rows than the cap cannot be paged past: 54000
SELECT emu_reset('zscaler', :'zs_emu' || '&hot_second_rows=60&row_cap=50');
SELECT regexp_replace(try($$SELECT * FROM zs_cap50 WHERE time >= now() - interval '10 days'
                                                      AND time < now() - interval '9 days'$$),
                      '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', '<second>');
SELECT zs_take_log();
SELECT e - s + 1 AS last_window_ms FROM zs_windows ORDER BY n DESC LIMIT 1;

-- a job that fails: HV000 with the vendor's status and message
SELECT emu_reset('zscaler', :'zs_emu' || '&fail_reports=1');
SELECT regexp_replace(try($$SELECT * FROM zscaler_audit WHERE time >= now() - interval '1 day'$$),
                      '\[[^]]*\]', '[<window>]');
SELECT status, method, path FROM zs_log() ORDER BY n;
-- maintenance: report POSTs get 403 STATE_READONLY
SELECT emu_reset('zscaler', :'zs_emu' || '&read_only=1');
SELECT regexp_replace(try($$SELECT * FROM zscaler_audit WHERE time >= now() - interval '1 day'$$),
                      '"startTime":\d+', '"startTime":<ms>');
-- a job that does not finish within report_timeout_ms: HV000, and the job
-- is cancelled at the vendor (DELETE)
SELECT emu_reset('zscaler', :'zs_emu' || '&report_delay_ms=4000');
CREATE FOREIGN TABLE zs_impatient (time timestamptz) SERVER zscaler
  OPTIONS (report_timeout_ms '1000', poll_interval_ms '200');
SELECT regexp_replace(try($$SELECT * FROM zs_impatient WHERE time >= now() - interval '1 day'$$),
                      '\[[^]]*\]', '[<window>]');
SELECT status, method, path FROM zs_log() WHERE method <> 'GET' ORDER BY n;
-- statement_timeout while the report runs: 57014 within a second, and the
-- report is cancelled at the vendor
CREATE TABLE zs_timing (t0 timestamptz, t1 timestamptz);
INSERT INTO zs_timing (t0) VALUES (clock_timestamp());
SET statement_timeout = '500ms';
SELECT count(*) FROM zscaler_audit WHERE time >= now() - interval '1 day';
RESET statement_timeout;
UPDATE zs_timing SET t1 = clock_timestamp();
SELECT t1 - t0 < interval '1.5 seconds' AS stopped_within_a_second FROM zs_timing;
SELECT status, method, path FROM zs_log() WHERE method <> 'GET' ORDER BY n;
SELECT emu('zscaler', '/_emu/config?report_delay_ms=0') IS NOT NULL;
-- the session is fine afterwards
SELECT count(*) > 0 AS works FROM zscaler_audit WHERE time >= now() - interval '3 days';

-- auth: a wrong password or key is 28000, with no secret in the message
CREATE SERVER zs_bad FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zscaler', base_url :'zs_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER zs_bad
  OPTIONS (username 'admin@example.com', password 'wrong-zia-password-1', api_key 'ZiaTestKey2026xyz');
CREATE FOREIGN TABLE zs_bad (time timestamptz) SERVER zs_bad;
SELECT try('SELECT * FROM zs_bad');
ALTER USER MAPPING FOR CURRENT_USER SERVER zs_bad
  OPTIONS (SET password 'zia-test-password', SET api_key 'WrongZiaKey123456');
SELECT try('SELECT * FROM zs_bad');
ALTER USER MAPPING FOR CURRENT_USER SERVER zs_bad OPTIONS (SET api_key 'short');
SELECT try('SELECT * FROM zs_bad');
ALTER USER MAPPING FOR CURRENT_USER SERVER zs_bad OPTIONS (DROP api_key);
SELECT try('SELECT * FROM zs_bad');
SELECT count(*) FILTER (WHERE line LIKE '%wrong-zia%' OR line LIKE '%WrongZia%' OR line LIKE '%zia-test-password%')
       AS secrets_in_log FROM emu('zscaler', '/_emu/log?clear=1') line;
-- OneAPI: client credentials at token_url, a Bearer token (base_url with
-- the gateway's /zia prefix)
CREATE SERVER zs_oneapi FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zscaler', base_url :'zs_url', poll_interval_ms '10');
\set zs_oneapi_base :zs_url '/zia'
\set zs_token_url :zs_url '/oauth2/v1/token'
ALTER SERVER zs_oneapi OPTIONS (SET base_url :'zs_oneapi_base', ADD token_url :'zs_token_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER zs_oneapi
  OPTIONS (client_id 'zia-test-client', client_secret 'zia-test-secret');
CREATE FOREIGN TABLE zs_oneapi (time timestamptz, action text) SERVER zs_oneapi;
SELECT count(*) > 0 AS works FROM zs_oneapi WHERE time >= now() - interval '3 days';
SELECT count(*) > 0 AS token_cached FROM zs_oneapi WHERE time >= now() - interval '3 days';
SELECT status, method, path, CASE WHEN path LIKE '/oauth2%' THEN line END AS token_request
  FROM zs_log() ORDER BY n;
ALTER USER MAPPING FOR CURRENT_USER SERVER zs_oneapi OPTIONS (SET client_secret 'wrong-zia-secret-2');
SELECT try($$SELECT * FROM zs_oneapi WHERE time >= now() - interval '1 day'$$);
ALTER SERVER zs_oneapi OPTIONS (DROP token_url);
SELECT try($$SELECT * FROM zs_oneapi WHERE time >= now() - interval '1 day'$$);
SELECT emu_clear('zscaler');
-- an expired session (5 idle minutes at ZIA, 1 s here) answers 401: the
-- FDW logs in again once and goes on
SELECT count(*) > 0 AS works FROM zscaler_audit WHERE time >= now() - interval '3 days';
SELECT emu('zscaler', '/_emu/config?session_idle_s=1') IS NOT NULL;
SELECT pg_sleep(1.5);
SELECT count(*) > 0 AS works FROM zscaler_audit WHERE time >= now() - interval '3 days';
SELECT status, method, path FROM zs_log() ORDER BY n;
SELECT emu('zscaler', '/_emu/config?session_idle_s=300') IS NOT NULL;
-- a changed user mapping drops the cached session: logout, then login
SELECT count(*) > 0 AS works FROM zscaler_audit WHERE time >= now() - interval '3 days';
ALTER USER MAPPING FOR CURRENT_USER SERVER zscaler OPTIONS (SET password 'zia-test-password');
SELECT count(*) > 0 AS works FROM zscaler_audit WHERE time >= now() - interval '3 days';
SELECT status, method, path FROM zs_log() ORDER BY n;
-- options of another vendor are rejected
ALTER SERVER zscaler OPTIONS (ADD epoch_unit 's');
