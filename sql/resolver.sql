-- Resolver: export jobs (POST, poll, download from a signed URL), walking
-- back past the row cap with the boundary second's rows de-duplicated as a
-- multiset, job ids of any shape, CSV variants, auth, errors, cancellation
\getenv rs_port EMU_RESOLVER_PORT
\set rs_url 'http://127.0.0.1:' :rs_port
-- the data ends "now", so no test depends on the day it runs
\set rs_emu 'anchor=now&job_delay_ms=0'
SELECT emu_reset('resolver', :'rs_emu');
CREATE SERVER resolver FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'resolver', base_url :'rs_url', poll_interval_ms '10');
CREATE USER MAPPING FOR CURRENT_USER SERVER resolver OPTIONS (api_token 'rslv-test-token');
IMPORT FOREIGN SCHEMA audit FROM SERVER resolver INTO public;
\d resolver_audit
-- rs_log(): the emulator's request log since the last call, parsed; signed
-- URLs shown without their random token and signature
CREATE FUNCTION rs_log() RETURNS TABLE (n int, status text, method text, path text, body jsonb)
LANGUAGE sql AS $$
  SELECT row_number() OVER ()::int, split_part(e, ' ', 1), split_part(e, ' ', 2),
         regexp_replace(regexp_replace(split_part(split_part(e, ' ', 3), '?', 1),
                                       '^/signed/[^/]+/', '/signed/<token>/'),
                        '^/object/job/.+', '/object/job/<id>'),
         CASE WHEN e ~ ' \{.*\}$' THEN substring(e FROM ' (\{.*\})$')::jsonb END
    FROM emu('resolver', '/_emu/log?clear=1') e $$;
CREATE TABLE rs_req AS SELECT * FROM rs_log() WHERE false;
CREATE FUNCTION rs_take_log() RETURNS void LANGUAGE sql AS $$
  DELETE FROM rs_req;
  INSERT INTO rs_req SELECT * FROM rs_log() $$;
CREATE VIEW rs_exports AS
  SELECT n, (body->>'dateStart')::bigint AS date_start, (body->>'dateEnd')::bigint AS date_end
    FROM rs_req WHERE method = 'POST';

-- EXPLAIN: dateStart/dateEnd in seconds, the end one second late (rows
-- past the range are dropped locally)
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT * FROM resolver_audit WHERE date_time >= '2026-10-01' AND date_time < '2026-10-15';
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT event FROM resolver_audit WHERE event = 'Add User';
CREATE FOREIGN TABLE resolver_ms (date_time timestamptz, event text)
  SERVER resolver OPTIONS (epoch_unit 'ms');
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT * FROM resolver_ms WHERE date_time > '2026-10-01' AND date_time <= now();
SELECT count(*) FROM rs_log();

-- the truth: the emulator's own rows (/_emu/dump), as the CSV shows them
CREATE TABLE rs_all AS
  SELECT (d->>'Date and Time')::timestamptz AS date_time, d->>'Event' AS event,
         d->>'Subject' AS subject, d->>'Subject Type' AS subject_type,
         d->>'Performed By' AS performed_by,
         d->>'External Reference ID' AS external_reference_id,
         nullif(d->>'IP Address', '')::inet AS ip_address, d->>'Details' AS details, d AS raw
    FROM emu_dump('resolver') d;
SELECT count(*) AS rows, count(*) - count(DISTINCT raw::text) AS identical_copies,
       count(*) FILTER (WHERE ip_address IS NULL) > 0 AS empty_ips,
       count(*) FILTER (WHERE family(ip_address) = 6) > 0 AS ipv6,
       count(*) FILTER (WHERE details LIKE '%' || chr(10) || '%') > 0 AS newlines,
       count(*) FILTER (WHERE details LIKE '%"%' AND details LIKE '%,%') > 0 AS quotes_commas,
       count(*) FILTER (WHERE subject ~ '[^\x01-\x7f]' OR performed_by ~ '[^\x01-\x7f]') > 0 AS non_ascii,
       bool_and(raw->>'Event' = event) AS raw_matches
  FROM rs_all;
SELECT jsonb_object_keys(raw) AS csv_header FROM (SELECT raw FROM rs_all LIMIT 1) r;
SELECT event, subject_type, count(*) FROM rs_all GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 5;
-- rs_diff(table): rows missing from / extra in a table, against the truth
CREATE FUNCTION rs_diff(tbl regclass, OUT missing bigint, OUT extra bigint)
LANGUAGE plpgsql AS $$
DECLARE
  cols text := 'date_time, event, subject, subject_type, performed_by, external_reference_id, '
               'ip_address, details';
BEGIN
  EXECUTE format('CREATE TEMP TABLE rs_got AS SELECT %s FROM %s', cols, tbl);
  EXECUTE format('SELECT count(*) FROM (SELECT %s FROM rs_all EXCEPT ALL SELECT * FROM rs_got) d', cols)
    INTO missing;
  EXECUTE format('SELECT count(*) FROM (SELECT * FROM rs_got EXCEPT ALL SELECT %s FROM rs_all) d', cols)
    INTO extra;
  DROP TABLE rs_got;
END $$;
-- one export holds everything under the default cap (50,000)
SELECT * FROM rs_diff('resolver_audit');
-- POST, poll the job, download the signed URL (without Authorization:
-- the emulator answers 400 to a download that carries it)
SELECT status, method, path FROM rs_log() ORDER BY n;

-- a cap of 25 rows per file (the FDW learns it from row_cap): each file at
-- the cap is followed by one that ends at its oldest second, whose rows the
-- previous file already returned are dropped once each
SELECT emu('resolver', '/_emu/config?row_cap=25') IS NOT NULL;
CREATE FOREIGN TABLE rs_cap25 (date_time timestamptz, event text, subject text,
  subject_type text, performed_by text, external_reference_id text, ip_address inet,
  details text, raw jsonb) SERVER resolver OPTIONS (row_cap '25');
SELECT * FROM rs_diff('rs_cap25');
SELECT rs_take_log();
SELECT count(*) > 400 / 25 AS many_files, count(DISTINCT date_start) = 1 AS same_start,
       bool_and(date_end < prev_end) AS end_moves_back
  FROM (SELECT date_start, date_end, lag(date_end) OVER (ORDER BY n) AS prev_end FROM rs_exports) e
 WHERE prev_end IS NOT NULL;
-- the boundary seconds hold bursts, identical rows among them
SELECT count(*) AS boundaries,
       count(*) FILTER (WHERE (SELECT count(*) FROM rs_all a
                                WHERE a.date_time = to_timestamp(x.date_end - 1)) > 1) AS with_bursts,
       count(*) FILTER (WHERE (SELECT count(*) - count(DISTINCT raw::text) FROM rs_all a
                                WHERE a.date_time = to_timestamp(x.date_end - 1)) > 0) AS with_identical_rows
  FROM rs_exports x WHERE n > 1;
-- the same in milliseconds (dateEnd then ends at ...999 of its second)
SELECT emu('resolver', '/_emu/config?epoch_unit=ms') IS NOT NULL;
ALTER FOREIGN TABLE rs_cap25 OPTIONS (ADD epoch_unit 'ms');
SELECT * FROM rs_diff('rs_cap25');
SELECT rs_take_log();
SELECT count(*) > 400 / 25 AS many_files, bool_and(date_end % 1000 = 999) AS whole_seconds
  FROM rs_exports;
ALTER FOREIGN TABLE rs_cap25 OPTIONS (DROP epoch_unit);
SELECT emu('resolver', '/_emu/config?epoch_unit=s&row_cap=50000') IS NOT NULL;
-- a row_cap above Resolver's own is an error
ALTER FOREIGN TABLE rs_cap25 OPTIONS (SET row_cap '50001');
SELECT try('SELECT * FROM rs_cap25');
ALTER FOREIGN TABLE rs_cap25 OPTIONS (SET row_cap '25');

-- time ranges: whole seconds, the bounds exact
SELECT min(date_time) AS t1, max(date_time) AS t2
  FROM (SELECT date_time FROM rs_all ORDER BY date_time LIMIT 100) f \gset
SELECT count(*) = (SELECT count(*) FROM rs_all WHERE date_time > :'t1' AND date_time <= :'t2') AS exact
  FROM resolver_audit WHERE date_time > :'t1' AND date_time <= :'t2';
SELECT rs_take_log();
SELECT date_start = extract(epoch FROM :'t1'::timestamptz) AS start_is_t1,
       date_end = extract(epoch FROM :'t2'::timestamptz) + 1 AS end_is_t2_plus_1s
  FROM rs_exports;
-- nothing in the range: a file with only its header, no rows; epoch_unit
-- is not set, so the same window is asked once more in milliseconds,
-- also empty: the answer is truly empty
SELECT count(*) FROM resolver_audit WHERE date_time < '2000-01-01';
SELECT rs_take_log();
SELECT date_start, date_end FROM rs_exports ORDER BY n;
-- a vendor reading milliseconds while epoch_unit is unset (seconds are
-- sent): the empty answer is never returned, the other unit is tried and
-- the error says which to set
SELECT emu('resolver', '/_emu/config?epoch_unit=ms') IS NOT NULL;
SELECT regexp_replace(try('SELECT * FROM resolver_audit'), '\[[^]]*\]', '[<window>]');
SELECT rs_take_log();
SELECT count(*) AS exports, count(*) FILTER (WHERE date_end > 100000000000) AS in_ms FROM rs_exports;
-- set explicitly, the unit is trusted (here wrongly: no rows)
CREATE FOREIGN TABLE rs_in_s (date_time timestamptz) SERVER resolver OPTIONS (epoch_unit 's');
SELECT count(*) FROM rs_in_s;
SELECT rs_take_log();
SELECT count(*) AS exports FROM rs_exports;
SELECT emu('resolver', '/_emu/config?epoch_unit=s') IS NOT NULL;
-- rows far outside the window asked for (the vendor ignored the dates):
-- an error naming the likely causes, not a silent filter
SELECT emu('resolver', '/_emu/config?ignore_dates=1') IS NOT NULL;
SELECT regexp_replace(try($$SELECT * FROM resolver_audit WHERE date_time >= '2026-10-20' AND date_time < '2026-10-21'$$),
                      'Line \d+ has the time [^;]+', 'Line <n> has the time <t>');
SELECT emu('resolver', '/_emu/config?ignore_dates=0') IS NOT NULL;
-- a job id the scan had before (here every export answers the first id):
-- its rows would be counted twice
SELECT emu('resolver', '/_emu/config?reuse_job_id=1&row_cap=25') IS NOT NULL;
SELECT regexp_replace(regexp_replace(try('SELECT * FROM rs_cap25'), 'job id \w+', 'job id <id>'),
                      'dateEnd":\d+', 'dateEnd":<end>');
SELECT emu('resolver', '/_emu/config?reuse_job_id=0&row_cap=50000') IS NOT NULL;
-- other columns are not sent; they are filtered locally
SELECT count(*) = (SELECT count(*) FROM rs_all WHERE event = 'Add User') AS exact
  FROM resolver_audit WHERE event = 'Add User';
SELECT count(*) FROM (SELECT * FROM resolver_audit LIMIT 3) l;
SELECT emu_clear('resolver');

-- the job id as a number, an object with id, an object with jobId; no
-- status field in the job; a 202 for the export
SELECT emu('resolver', '/_emu/config?job_id_style=number') IS NOT NULL;
SELECT * FROM rs_diff('resolver_audit');
SELECT emu('resolver', '/_emu/config?job_id_style=object&job_status_field=0') IS NOT NULL;
SELECT * FROM rs_diff('resolver_audit');
SELECT emu('resolver', '/_emu/config?job_id_style=object_jobid&export_status=202') IS NOT NULL;
SELECT * FROM rs_diff('resolver_audit');
SELECT emu('resolver', '/_emu/config?job_id_style=string&job_status_field=1&export_status=200') IS NOT NULL;
-- CSV variants: columns in another order, one missing (NULL), one unknown
-- (kept in raw); other time formats; LF line ends; a BOM
SELECT emu('resolver', '/_emu/config?csv_columns=Performed%20By,Date%20and%20Time,Browser,Event,Subject,Subject%20Type,IP%20Address,External%20Reference%20ID') IS NOT NULL;
SELECT count(*) AS rows, count(details) AS details, bool_and(raw ? 'Browser') AS raw_has_browser,
       (SELECT count(*) FROM (SELECT date_time, event, subject, performed_by, ip_address FROM resolver_audit
                              EXCEPT ALL SELECT date_time, event, subject, performed_by, ip_address FROM rs_all) d) AS extra
  FROM resolver_audit;
SELECT emu('resolver', '/_emu/config?csv_columns=Date%20and%20Time,Event,Subject,Subject%20Type,Performed%20By,External%20Reference%20ID,IP%20Address,Details&time_format=plain&csv_line_end=lf&csv_bom=1') IS NOT NULL;
SELECT * FROM rs_diff('resolver_audit');
SELECT emu('resolver', '/_emu/config?time_format=us&csv_line_end=crlf&csv_bom=0') IS NOT NULL;
SELECT * FROM rs_diff('resolver_audit');
SELECT emu('resolver', '/_emu/config?time_format=iso') IS NOT NULL;
SELECT emu_clear('resolver');

-- the signed URL may be on another host, as long as it is https (or
-- loopback http, as base_url is here); it is never shown with its query
SELECT emu('resolver', '/_emu/config?signed_base=http://localhost:' || :'rs_port') IS NOT NULL;
SELECT * FROM rs_diff('resolver_audit');
SELECT emu('resolver', '/_emu/config?signed_base=http://files.example.com:' || :'rs_port') IS NOT NULL;
SELECT regexp_replace(regexp_replace(try('SELECT * FROM resolver_audit'), '/signed/[^/]+/', '/signed/<token>/'),
                      ':\d+/', ':<port>/');
SELECT status, method, path FROM rs_log() ORDER BY n;
-- userinfo does not make a URL loopback: http://localhost:N@files.example.com
-- is files.example.com, so it is refused like any other http:// host
SELECT emu('resolver', '/_emu/config?signed_base=http://localhost:' || :'rs_port' || '@files.example.com:' || :'rs_port') IS NOT NULL;
SELECT regexp_replace(regexp_replace(try('SELECT * FROM resolver_audit'), '/signed/[^/]+/', '/signed/<token>/'),
                      ':\d+', ':<port>', 'g');
SELECT status, method, path FROM rs_log() ORDER BY n;
SELECT emu('resolver', '/_emu/config?signed_base=') IS NOT NULL;
-- a failed download is HV000 and shows no signature
SELECT emu('resolver', '/_emu/config?fault=status&fault_status=404&fault_skip=2&fault_every=1&fault_count=1') IS NOT NULL;
SELECT regexp_replace(regexp_replace(regexp_replace(try('SELECT * FROM resolver_audit'),
                                                   '/signed/[^/]+/', '/signed/<token>/'),
                                    ':\d+/', ':<port>/'),
                      '<RequestId>.*</HostId>', '<RequestId>...</HostId>');
SELECT emu('resolver', '/_emu/config?fault=malformed&fault_skip=2&fault_every=1&fault_count=1') IS NOT NULL;
SELECT split_part(try('SELECT * FROM resolver_audit'), E'\n', 1);
-- S3's 503 SlowDown (with Retry-After) is retried
SELECT emu('resolver', '/_emu/config?fault=rate_limit&retry_after=1&fault_skip=2&fault_every=1&fault_count=1') IS NOT NULL;
SELECT * FROM rs_diff('resolver_audit');
SELECT status, method, path FROM rs_log() WHERE path LIKE '/signed/%' ORDER BY n;
SELECT emu('resolver', '/_emu/config?fault=none') IS NOT NULL;

-- a failed job: HV000 with its status and error, wherever the job says it
-- (the job's shape is not public), even with no status field at all
SELECT emu('resolver', '/_emu/config?fail_jobs=1') IS NOT NULL;
SELECT regexp_replace(try('SELECT * FROM resolver_audit'), '\[[^]]*\]', '[<window>]');
SELECT f AS field, st AS status_field,
       emu('resolver', format('/_emu/config?job_error_field=%s&job_status_field=%s', f, st)) IS NOT NULL AS set,
       regexp_replace(try('SELECT * FROM resolver_audit'), '\[[^]]*\]', '[<window>]') AS error
  FROM (VALUES ('errorMessage', 0), ('failureReason', 0), ('message', 1), ('none', 1)) v(f, st);
SELECT emu('resolver', '/_emu/config?fail_jobs=0&job_error_field=error&job_status_field=1') IS NOT NULL;
-- a job that is complete but never yields a download URL fails at once
SELECT emu('resolver', '/_emu/config?job_no_url=1') IS NOT NULL;
SELECT regexp_replace(try('SELECT * FROM resolver_audit'), '\[[^]]*\]', '[<window>]');
SELECT emu('resolver', '/_emu/config?job_no_url=0') IS NOT NULL;
-- a wrong token: 28000, and no secret in the message
CREATE SERVER rs_bad FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'resolver', base_url :'rs_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER rs_bad OPTIONS (api_token 'wrong-rslv-token-3');
CREATE FOREIGN TABLE rs_bad (date_time timestamptz) SERVER rs_bad;
SELECT try('SELECT * FROM rs_bad');
ALTER USER MAPPING FOR CURRENT_USER SERVER rs_bad OPTIONS (DROP api_token);
SELECT try('SELECT * FROM rs_bad');
SELECT count(*) FILTER (WHERE line LIKE '%rslv%') AS secrets_in_log
  FROM emu('resolver', '/_emu/log?clear=1') line;

-- one second holding more rows than the cap cannot be walked past: 54000
SELECT emu_reset('resolver', :'rs_emu' || '&hot_second_rows=30&row_cap=25');
SELECT regexp_replace(try('SELECT * FROM rs_cap25'), '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', '<second>');
-- ... and exactly the cap in one second neither: the next file could not
-- move on
SELECT emu_reset('resolver', :'rs_emu' || '&hot_second_rows=25&row_cap=25');
SELECT regexp_replace(try('SELECT * FROM rs_cap25'), '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', '<second>');
-- one less works, the hot second returned whole
SELECT emu_reset('resolver', :'rs_emu' || '&hot_second_rows=24&row_cap=100000');
SELECT sum(n) AS rows, max(n) AS hot_second_rows
  FROM (SELECT count(*) AS n FROM resolver_audit GROUP BY date_time) s;
SELECT emu('resolver', '/_emu/config?row_cap=25') IS NOT NULL;
SELECT sum(n) AS rows, max(n) AS hot_second_rows
  FROM (SELECT count(*) AS n FROM rs_cap25 GROUP BY date_time) s;

-- a job that does not finish within report_timeout_ms: HV000
SELECT emu_reset('resolver', :'rs_emu' || '&job_delay_ms=4000');
CREATE FOREIGN TABLE rs_impatient (date_time timestamptz) SERVER resolver
  OPTIONS (report_timeout_ms '1000', poll_interval_ms '200');
SELECT regexp_replace(try('SELECT * FROM rs_impatient'), '\[[^]]*\]', '[<window>]');
-- statement_timeout while the job runs: 57014 within a second
CREATE TABLE rs_timing (t0 timestamptz, t1 timestamptz);
INSERT INTO rs_timing (t0) VALUES (clock_timestamp());
SET statement_timeout = '500ms';
SELECT count(*) FROM resolver_audit;
RESET statement_timeout;
UPDATE rs_timing SET t1 = clock_timestamp();
SELECT t1 - t0 < interval '1.5 seconds' AS stopped_within_a_second FROM rs_timing;
SELECT emu('resolver', '/_emu/config?job_delay_ms=0') IS NOT NULL;
SELECT count(*) > 0 AS works, count(*) = (SELECT count(*) FROM emu_dump('resolver')) AS all_rows FROM resolver_audit;
-- options of another vendor are rejected
ALTER SERVER resolver OPTIONS (ADD report_time_zone 'UTC');
CREATE FOREIGN TABLE rs_badunit (date_time timestamptz) SERVER resolver OPTIONS (epoch_unit 'us');
