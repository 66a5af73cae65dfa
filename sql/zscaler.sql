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
   WHERE time >= '2026-10-01' AND action IN ('Update', 'Sign In') AND result = 'Failed'
     AND interface = 'UI' AND category = 'Firewall Policy'
     AND subcategory IN ('NAT Control', 'DNS Control') AND client_ip = '2001:db8::1'
     AND admin_name = 'admin@example.com' AND trace_id = 'abc';
-- enum spellings and the help pages' labels work too; a label without a
-- known enum stays local, and so does an IN list with one; filters that
-- take one value keep IN local
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT time FROM zscaler_audit
   WHERE time >= '2026-10-01' AND action = 'SIGN_OUT' AND result = 'Maybe' AND interface = 'Admin UI'
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

-- the truth: the emulator's own records (/_emu/dump), never a copy read
-- through the FDW.  Labels and time texts follow the configured CSV layout,
-- so zs_load() reads them again after such a change.
CREATE FUNCTION zs_dump() RETURNS TABLE ("time" timestamptz, admin_name text, action text,
  result text, client_ip inet, interface text, category text, subcategory text, resource text,
  pre_action text, post_action text, trace_id text, cloud text, time_text text)
LANGUAGE sql AS $$
  SELECT 'epoch'::timestamptz + (d->>'_epoch_ms')::bigint * interval '1 millisecond',
         d->>'User', d->>'Action', d->>'Result', (d->>'Client IP')::inet, d->>'Interface',
         d->>'Category', d->>'Subcategory', d->>'Resource', d->>'Pre Action',
         d->>'Post Action', d->>'Trace ID', d->>'AA in Cloud', d->>'Time'
    FROM emu_dump('zscaler') d $$;
CREATE TABLE zs_all AS SELECT * FROM zs_dump();
CREATE FUNCTION zs_load() RETURNS bigint LANGUAGE sql AS $$
  DELETE FROM zs_all;
  INSERT INTO zs_all SELECT * FROM zs_dump();
  SELECT count(*) FROM zs_all $$;
SELECT count(*) AS rows, count(*) - count(DISTINCT (zs_all.*)::text) > 0 AS has_identical_copies,
       max(time) - min(time) < interval '181 days' AS spans_180_days
  FROM zs_all;
-- zs_diff(table, columns, condition): rows of the table missing from /
-- extra to the truth, as multisets.  By default every column the default
-- layout has: it has no Trace ID (NULL, checked below).
CREATE FUNCTION zs_diff(tbl regclass,
  cols text DEFAULT 'time, admin_name, action, result, client_ip, interface, category, '
                    'subcategory, resource, pre_action, post_action, cloud',
  cond text DEFAULT 'true', OUT missing bigint, OUT extra bigint)
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TEMP TABLE zs_got AS SELECT %s FROM %s WHERE %s', cols, tbl, cond);
  EXECUTE format('SELECT count(*) FROM (SELECT %s FROM zs_all WHERE %s EXCEPT ALL TABLE zs_got) d',
                 cols, cond) INTO missing;
  EXECUTE format('SELECT count(*) FROM (TABLE zs_got EXCEPT ALL SELECT %s FROM zs_all WHERE %s) d',
                 cols, cond) INTO extra;
  DROP TABLE zs_got;
END $$;
\set zs_cols_all 'time, admin_name, action, result, client_ip, interface, category, subcategory, resource, pre_action, post_action, trace_id, cloud'
\set zs_cols_old 'time, admin_name, action, result, client_ip, interface, category, subcategory, resource, pre_action, post_action, trace_id'

-- the whole table, with the emulator's row cap lifted (the FDW still
-- narrows every window of 1000 rows, so this also pages through the dense
-- days)
SELECT emu('zscaler', '/_emu/config?row_cap=1000000') IS NOT NULL;
SELECT * FROM zs_diff('zscaler_audit');
SELECT zs_take_log();
SELECT reports >= 6 AS six_windows_or_more, max_31_days, whole_seconds, disjoint_or_nested
  FROM zs_windows_ok();
-- one login for the whole scan, no report without its download
SELECT count(*) FILTER (WHERE path LIKE '%authenticatedSession') AS logins,
       count(*) FILTER (WHERE method = 'POST' AND path LIKE '%Report')
         = count(*) FILTER (WHERE path LIKE '%/download') AS all_downloaded,
       bool_and(status IN ('200', '204')) AS all_ok
  FROM zs_req;
-- the data has the hard cases: labels, IPv4 and IPv6, non-ASCII, quotes,
-- commas, newlines, trace ids
SELECT count(DISTINCT action) AS actions, count(*) FILTER (WHERE family(client_ip) = 6) > 0 AS ipv6,
       count(*) FILTER (WHERE admin_name ~ '[^\x01-\x7f]') > 0 AS non_ascii,
       count(*) FILTER (WHERE admin_name LIKE '"ops, team"@%') > 0 AS quoted_comma,
       count(*) FILTER (WHERE pre_action LIKE '%' || chr(10) || '%') > 0 AS newlines,
       count(*) FILTER (WHERE trace_id <> '') > 0 AS trace_ids
  FROM zs_all;
SELECT action, result, interface, category, subcategory, cloud FROM zs_all
 GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY count(*) DESC, 1, 2, 3, 4, 5 LIMIT 5;
-- the default layout: the fixture's header (no Trace ID: NULL), raw keyed
-- by it, times as written ("01 Nov 2026 00:00:00, UTC")
SELECT jsonb_object_keys(raw) AS csv_header
  FROM (SELECT raw FROM zscaler_audit WHERE time >= now() - interval '3 days' LIMIT 1) r;
SELECT count(*) > 0 AS some_rows, count(trace_id) AS trace_ids,
       bool_and(raw->>'Action' = action AND raw->>'Subcategory' = subcategory
                AND raw->>'AA in Cloud' = cloud AND raw->>'User' = admin_name) AS raw_matches,
       bool_and(raw->>'Time' ~ '^\d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d, UTC$') AS fixture_times
  FROM zscaler_audit WHERE time >= now() - interval '3 days';

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
  pre_action text, post_action text, trace_id text, cloud text, raw jsonb)
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
                     AND result = 'Successful' AND interface = 'UI') AS exact
  FROM zscaler_audit WHERE action IN ('Update', 'Sign In') AND result = 'Successful' AND interface = 'UI';
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
-- (the Trace ID column is there only with csv_trace_id=1)
SELECT emu('zscaler', '/_emu/config?csv_trace_id=1') IS NOT NULL;
SELECT trace_id AS some_trace FROM zs_all WHERE trace_id <> '' ORDER BY time, trace_id LIMIT 1 \gset
SELECT count(*) AS rows, count(*) = (SELECT count(*) FROM zs_all WHERE trace_id = :'some_trace') AS exact
  FROM zscaler_audit WHERE trace_id = :'some_trace';
SELECT zs_take_log();
SELECT DISTINCT filters = jsonb_build_object('traceId', :'some_trace') AS trace_sent FROM zs_windows;
SELECT emu('zscaler', '/_emu/config?csv_trace_id=0') IS NOT NULL;
-- labels match the enums ignoring case; the local recheck stays exact
SELECT count(*) AS lower_case_rows FROM zscaler_audit WHERE result = 'successful';
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

-- ZIA's report as a public SDK's fixture shows it (the default layout:
-- preamble, "Time,User,...,AA in Cloud,...", "31 Dec 2021 23:59:59, AEST",
-- "Successful", a trailing comma on data rows), over 90 days: three 31-day
-- windows, the newest of which holds more than 1000 rows and is halved,
-- with ZIA's POST limits (10 a minute, 40 an hour) and its 2-a-second GET
-- limit on.  The data is sized for 5 reports a scan.
SELECT emu_reset('zscaler', 'anchor=now&report_delay_ms=200&records=2280&burst_second_rows=40');
SELECT zs_load() AS truth_rows;
SELECT now() - interval '90 days' AS since \gset
\set zs_since 'time >= ' :'since' '::timestamptz'
SELECT count(*) FILTER (WHERE time > now() - interval '31 days') >= 1000 AS newest_window_over_cap,
       count(DISTINCT time_text ~ ', UTC$') = 1 AS zone_written
  FROM zs_all WHERE time >= :'since';
CREATE FOREIGN TABLE zs_90 (time timestamptz, admin_name text, action text, result text,
  client_ip inet, interface text, category text, subcategory text, resource text,
  pre_action text, post_action text, trace_id text, cloud text, raw jsonb)
  SERVER zscaler OPTIONS (poll_interval_ms '500');
SELECT emu_clear('zscaler');
CREATE TEMP TABLE zs_got90 AS SELECT * FROM zs_90 WHERE :zs_since;
SELECT zs_take_log();
SELECT * FROM zs_diff('zs_got90', cond => :'zs_since');
SELECT count(trace_id) AS trace_ids FROM zs_got90;
SELECT max_31_days, whole_seconds, disjoint_or_nested FROM zs_windows_ok();
-- five reports (the first POST meets the session the reset ended: 401,
-- log in, again), none refused
SELECT status, path, count(*) FROM zs_req WHERE method = 'POST' GROUP BY 1, 2 ORDER BY 1, 2;
-- the newest window was at the cap and is asked for again as two halves
SELECT count(*) AS windows, count(*) FILTER (WHERE e - s = 2678399999) AS full_31_days
  FROM (SELECT DISTINCT s, e FROM zs_windows) w;
-- Trace ID appended (csv_trace_id=1) and the admin's profile zone
-- Australia/Sydney: "..., AEST" and "..., AEDT" (both when the 90 days cross a DST change),
-- read as PostgreSQL reads those abbreviations; every column compared
SELECT emu('zscaler', '/_emu/config?csv_trace_id=1&profile_time_zone=Australia/Sydney') IS NOT NULL;
SELECT zs_load() AS truth_rows;
SELECT bool_and(substring(time_text FROM ', (.*)$') IN ('AEDT', 'AEST')) AS abbreviations
  FROM zs_all WHERE time >= :'since';
SELECT * FROM zs_diff('zs_90', :'zs_cols_all', :'zs_since');
-- report_time_zone is used only for times without a zone: set to another
-- zone, the same instants come back ("..., UTC" here); no trailing comma.
-- These are reports 11-15 within the minute: the 11th POST gets 429 with
-- Retry-After, and the scan waits for it instead of failing.
SELECT emu('zscaler', '/_emu/config?csv_trace_id=0&profile_time_zone=UTC&csv_extra_fields=0') IS NOT NULL;
SELECT zs_load() AS truth_rows;
ALTER FOREIGN TABLE zs_90 OPTIONS (ADD report_time_zone 'America/Los_Angeles');
SELECT emu_clear('zscaler');
SELECT * FROM zs_diff('zs_90', cond => :'zs_since');
SELECT zs_take_log();
SELECT count(*) FILTER (WHERE method = 'POST' AND path LIKE '%Report' AND status = '204') AS reports_made,
       count(*) FILTER (WHERE method = 'POST' AND status = '429') > 0 AS posts_refused,
       (SELECT status FROM zs_req WHERE method = 'POST' ORDER BY n DESC LIMIT 1) AS last_post
  FROM zs_req;
ALTER FOREIGN TABLE zs_90 OPTIONS (DROP report_time_zone);
-- the other layouts, with the POST limits off from here on (the hourly 40
-- would otherwise run out)
SELECT emu('zscaler', '/_emu/config?post_per_min=0&post_per_hour=0&req_per_sec=0&csv_extra_fields=1') IS NOT NULL;
-- Pacific time: "PST" and "PDT" (both when the 90 days cross a DST change)
SELECT emu('zscaler', '/_emu/config?profile_time_zone=America/Los_Angeles') IS NOT NULL;
SELECT zs_load() AS truth_rows;
SELECT bool_and(substring(time_text FROM ', (.*)$') IN ('PDT', 'PST')) AS abbreviations
  FROM zs_all WHERE time >= :'since';
SELECT * FROM zs_diff('zs_90', cond => :'zs_since');
-- the older UI layout: a title preamble, the header spellings Admin ID,
-- Sub-Category, Trace ID, the labels "Success" and "Admin UI", a footer,
-- no AA in Cloud (NULL); and times without a zone ("2026-11-23 10:00:00"),
-- read in report_time_zone
SELECT emu('zscaler', '/_emu/config?csv_style=ui&time_format=plain&profile_time_zone=Asia/Kolkata') IS NOT NULL;
SELECT zs_load() AS truth_rows;
ALTER FOREIGN TABLE zs_90 OPTIONS (ADD report_time_zone 'Asia/Kolkata');
SELECT * FROM zs_diff('zs_90', :'zs_cols_old', :'zs_since');
SELECT count(*) > 0 AS some_rows, count(cloud) AS clouds,
       bool_and(raw ? 'Admin ID' AND raw ? 'Sub-Category' AND raw ? 'Trace ID') AS ui_header,
       bool_and(result IN ('Success', 'Failure') AND interface IN ('Admin UI', 'API')) AS ui_labels
  FROM zs_90 WHERE time >= now() - interval '3 days';
-- the same with a US date format, a BOM, LF line ends, oldest first, no footer
SELECT emu('zscaler', '/_emu/config?time_format=us&csv_bom=1&csv_line_end=lf&csv_order=asc&csv_footer=0') IS NOT NULL;
SELECT * FROM zs_diff('zs_90', :'zs_cols_old', :'zs_since');
-- the header on line 1 with other spellings (Timestamp, Pre-Action), and
-- ISO times with an offset (report_time_zone unused)
ALTER FOREIGN TABLE zs_90 OPTIONS (DROP report_time_zone);
SELECT emu('zscaler', '/_emu/config?csv_style=plain&time_format=iso&profile_time_zone=America/Los_Angeles&csv_bom=0&csv_line_end=crlf&csv_order=desc&csv_footer=1') IS NOT NULL;
SELECT zs_load() AS truth_rows;
SELECT * FROM zs_diff('zs_90', :'zs_cols_old', :'zs_since');
SELECT count(*) FROM zs_90 WHERE time >= now() - interval '3 days' AND NOT (raw ? 'Timestamp' AND raw ? 'Pre-Action');
-- "November 23, 2026 10:00:00 AM PST"
SELECT emu('zscaler', '/_emu/config?time_format=long') IS NOT NULL;
SELECT zs_load() AS truth_rows;
SELECT * FROM zs_diff('zs_90', :'zs_cols_old', :'zs_since');
-- a zone-less time without report_time_zone is read as UTC: every row wrong
SELECT emu('zscaler', '/_emu/config?time_format=us&profile_time_zone=Asia/Kolkata') IS NOT NULL;
SELECT zs_load() AS truth_rows;
-- ... so the rows near each window's end fall outside the window their job
-- asked for: that fails the scan (h-loud), never a wrong answer
SELECT split_part(try('SELECT * FROM zs_90 WHERE ' || :'zs_since'), E'\n', 1) AS wrong_zone;
ALTER SERVER zscaler OPTIONS (ADD report_time_zone 'Asia/Kolkata');
SELECT * FROM zs_diff('zs_90', :'zs_cols_old', :'zs_since');
ALTER SERVER zscaler OPTIONS (DROP report_time_zone);
CREATE FOREIGN TABLE zs_badzone (time timestamptz) SERVER zscaler OPTIONS (report_time_zone 'Mars/Olympus');
-- a value after the last column (where ZIA writes only an empty field) is
-- no silent loss: HV000
SELECT emu('zscaler', '/_emu/config?csv_style=report&time_format=report&profile_time_zone=UTC&csv_extra_value=stray') IS NOT NULL;
SELECT try($$SELECT * FROM zs_90 WHERE time >= now() - interval '3 days'$$);
-- back to the default dataset
SELECT emu_reset('zscaler', :'zs_emu');
SELECT zs_load() AS truth_rows;

-- a report body cut short, or a page that is no CSV: HV000, never rows
-- (the server's options changed, so log in first: the faults count requests).
-- The last 3 days hold no dense day, so whatever the hour, half of their
-- report ends inside a row (a body cut exactly at a row's end, with no
-- footer or count to check it against, cannot be told from a whole one)
SELECT count(*) > 0 AS works, count(*) = (SELECT count(*) FROM zs_dump() WHERE time >= now() - interval '1 day') AS all_rows
  FROM zscaler_audit WHERE time >= now() - interval '1 day';
SELECT emu('zscaler', '/_emu/config?gzip=0&fault=cut&fault_skip=2&fault_every=1&fault_count=1') IS NOT NULL;
SELECT split_part(try($$SELECT * FROM zscaler_audit WHERE time >= now() - interval '3 days'$$), E'\n', 1);
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
SELECT count(*) > 0 AS works, count(*) = (SELECT count(*) FROM zs_dump() WHERE time >= now() - interval '3 days') AS all_rows
  FROM zscaler_audit WHERE time >= now() - interval '3 days';

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
SELECT count(*) > 0 AS works, count(*) = (SELECT count(*) FROM zs_dump() WHERE time >= now() - interval '3 days') AS all_rows
  FROM zs_oneapi WHERE time >= now() - interval '3 days';
SELECT count(*) > 0 AS token_cached, count(*) = (SELECT count(*) FROM zs_dump() WHERE time >= now() - interval '3 days') AS all_rows
  FROM zs_oneapi WHERE time >= now() - interval '3 days';
SELECT status, method, path, CASE WHEN path LIKE '/oauth2%' THEN line END AS token_request
  FROM zs_log() ORDER BY n;
ALTER USER MAPPING FOR CURRENT_USER SERVER zs_oneapi OPTIONS (SET client_secret 'wrong-zia-secret-2');
SELECT try($$SELECT * FROM zs_oneapi WHERE time >= now() - interval '1 day'$$);
ALTER SERVER zs_oneapi OPTIONS (DROP token_url);
SELECT try($$SELECT * FROM zs_oneapi WHERE time >= now() - interval '1 day'$$);
SELECT emu_clear('zscaler');
-- an expired session (5 idle minutes at ZIA, 1 s here) answers 401: the
-- FDW logs in again once and goes on
SELECT count(*) > 0 AS works, count(*) = (SELECT count(*) FROM zs_dump() WHERE time >= now() - interval '3 days') AS all_rows
  FROM zscaler_audit WHERE time >= now() - interval '3 days';
SELECT emu('zscaler', '/_emu/config?session_idle_s=1') IS NOT NULL;
SELECT pg_sleep(1.5);
SELECT count(*) > 0 AS works, count(*) = (SELECT count(*) FROM zs_dump() WHERE time >= now() - interval '3 days') AS all_rows
  FROM zscaler_audit WHERE time >= now() - interval '3 days';
SELECT status, method, path FROM zs_log() ORDER BY n;
SELECT emu('zscaler', '/_emu/config?session_idle_s=300') IS NOT NULL;
-- a changed user mapping drops the cached session: logout, then login
SELECT count(*) > 0 AS works, count(*) = (SELECT count(*) FROM zs_dump() WHERE time >= now() - interval '3 days') AS all_rows
  FROM zscaler_audit WHERE time >= now() - interval '3 days';
ALTER USER MAPPING FOR CURRENT_USER SERVER zscaler OPTIONS (SET password 'zia-test-password');
SELECT count(*) > 0 AS works, count(*) = (SELECT count(*) FROM zs_dump() WHERE time >= now() - interval '3 days') AS all_rows
  FROM zscaler_audit WHERE time >= now() - interval '3 days';
SELECT status, method, path FROM zs_log() ORDER BY n;
-- options of another vendor are rejected
ALTER SERVER zscaler OPTIONS (ADD epoch_unit 's');
