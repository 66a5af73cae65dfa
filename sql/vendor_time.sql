-- Vendor times: read as PostgreSQL's timestamptz input reads them, with
-- the session's DateStyle and TimeZone pinned (MDY order; a time without a
-- zone is in the given zone, else UTC); epoch-ms fields; the diagnostic
-- auditlog_fdw.read_vendor_time(); scans give the same rows whatever the
-- session's DateStyle and TimeZone
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, MDY';
-- the shapes, each with the zone that stands for report_time_zone
CREATE TEMP TABLE vt_shape (n int, value text, zone text);
INSERT INTO vt_shape VALUES
  (1, '01 Dec 2026 05:51:01, UTC', 'UTC'),           -- ZIA report
  (2, '31 Dec 2021 23:59:59, AEST', 'UTC'),          -- the ZIA SDK fixture
  (3, '31 Dec 2021 23:59:59 AEDT', 'UTC'),
  (4, 'Tue, 01 Dec 2026 05:51:01 GMT', 'UTC'),       -- RFC 1123 (HTTP date)
  (5, '2026-12-01 05:51:01+05:30', 'UTC'),
  (6, '2026-12-01T05:51:01.123456Z', 'UTC'),
  (7, '2026-12-01T05:51:01.1234565Z', 'UTC'),        -- 7th digit: PostgreSQL rounds
  (8, '12/01/2026 05:51:01 PM', 'UTC'),              -- US, no zone
  (9, 'Dec 1 2026 5:51:01 am PST', 'UTC'),
  (10, 'November 23, 2026 10:00:00 AM PST', 'UTC'),
  (11, '2026-12-01 05:51:01 Australia/Sydney', 'UTC'),
  (12, '2026-12-01T24:00:00Z', 'UTC'),
  (13, '2016-12-31T23:59:60Z', 'UTC'),
  (14, '2026-10-01', 'UTC'),
  (15, '2026-12-01 05:51:01', 'Asia/Kolkata'),
  (16, '12/01/2026 05:51:01 PM', 'Asia/Kolkata'),
  -- zone-less in America/Los_Angeles across both DST changes of 2026: the
  -- gap (02:30 does not exist) and the repeated hour (01:30 twice); as
  -- PostgreSQL, standard time is taken where the wall clock is ambiguous
  (17, '2026-03-08 01:59:59', 'America/Los_Angeles'),
  (18, '2026-03-08 02:30:00', 'America/Los_Angeles'),
  (19, '2026-03-08 03:00:00', 'America/Los_Angeles'),
  (20, '03/08/2026 03:00:00 AM', 'America/Los_Angeles'),
  (21, '2026-11-01 00:59:59', 'America/Los_Angeles'),
  (22, '2026-11-01 01:30:00', 'America/Los_Angeles'),
  (23, '2026-11-01T02:00:00', 'America/Los_Angeles'),
  (24, 'Nov 1 2026 2:00:00 AM', 'America/Los_Angeles'),
  -- a written zone wins over the given one
  (25, '2026-11-01T01:30:00Z', 'America/Los_Angeles'),
  (26, '2026-11-01 01:30:00 PDT', 'America/Los_Angeles');
-- the expected instants, computed by PostgreSQL itself under pinned
-- settings (zone-less ones with TimeZone set to their zone)
CREATE TEMP TABLE vt_expect (n int, expect timestamptz);
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT * FROM vt_shape LOOP
    PERFORM set_config('TimeZone', r.zone, true);
    INSERT INTO vt_expect VALUES (r.n, r.value::timestamptz);
  END LOOP;
END $$;
SET TimeZone = 'UTC';
SELECT s.n, s.value, s.zone, auditlog_fdw.read_vendor_time(s.value, s.zone) AS read,
       auditlog_fdw.read_vendor_time(s.value, s.zone) = e.expect AS as_postgres
  FROM vt_shape s JOIN vt_expect e USING (n) ORDER BY n;
-- epochs (not timestamptz input): seconds, milliseconds, microseconds by magnitude
SELECT auditlog_fdw.read_vendor_time('1700000000') = to_timestamp(1700000000) AS s,
       auditlog_fdw.read_vendor_time('1700000000123') = to_timestamp(1700000000.123) AS ms,
       auditlog_fdw.read_vendor_time('1700000000123456') = to_timestamp(1700000000.123456) AS us,
       auditlog_fdw.read_vendor_time('-1.5') = to_timestamp(-1.5) AS negative;
-- the fast path (ISO 8601) reads as PostgreSQL does: 20,000 generated
-- times (years 1900-2100, 'T' or space, 0-6 fraction digits, no zone, Z
-- or offsets), zone-less ones in a DST zone
SET TimeZone = 'America/Los_Angeles';
SELECT setseed(0.25);
SELECT count(*) AS iso_times,
       count(*) FILTER (WHERE auditlog_fdw.read_vendor_time(s, 'America/Los_Angeles') = s::timestamptz) AS same,
       count(*) FILTER (WHERE s ~ '\.\d{6}') > 0 AS with_6_digits,
       count(*) FILTER (WHERE s ~ '[+-]\d\d(:?\d\d)?$') > 0 AS with_offset
  FROM (SELECT to_char(timestamp '1900-01-01' + random() * interval '73000 days',
                       CASE WHEN i % 2 = 0 THEN 'YYYY-MM-DD"T"HH24:MI:SS' ELSE 'YYYY-MM-DD HH24:MI:SS' END)
               || CASE WHEN i % 7 = 0 THEN ''
                       ELSE '.' || lpad((floor(random() * 10 ^ (i % 7)))::bigint::text, i % 7, '0') END
               || (ARRAY['', 'Z', '+05:30', '-0800', '+13', '-03:30'])[1 + i % 6] AS s
          FROM generate_series(1, 20000) i) g;
SET TimeZone = 'UTC';
-- the same readings under another DateStyle (day first) and TimeZone (a
-- +12:45/+13:45 zone), where PostgreSQL's own input reads several of them
-- differently or not at all
SET DateStyle = 'SQL, DMY';
SET TimeZone = 'Pacific/Chatham';
SELECT count(*) AS shapes,
       count(*) FILTER (WHERE auditlog_fdw.read_vendor_time(s.value, s.zone) = e.expect) AS same
  FROM vt_shape s JOIN vt_expect e USING (n);
CREATE FUNCTION vt_session_reading(v text) RETURNS timestamptz LANGUAGE plpgsql AS $$
BEGIN
  RETURN v::timestamptz;
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;
SELECT count(*) FILTER (WHERE vt_session_reading(s.value) IS DISTINCT FROM e.expect) > 5
         AS session_settings_matter
  FROM vt_shape s JOIN vt_expect e USING (n);
SELECT auditlog_fdw.read_vendor_time('1700000000123') = to_timestamp(1700000000.123) AS epoch_ms;
-- zone abbreviations follow timezone_abbreviations, as in PostgreSQL: IST
-- is Israel's in the Default set, India's in the India set
SET DateStyle = 'ISO, MDY';
SET TimeZone = 'UTC';
SELECT auditlog_fdw.read_vendor_time('2026-12-01 05:51:01 IST') AS ist_default;
SET timezone_abbreviations = 'India';
SELECT auditlog_fdw.read_vendor_time('2026-12-01 05:51:01 IST') AS ist_india;
RESET timezone_abbreviations;
-- vt_try(query): its value, or its error as SQLSTATE, message, detail
CREATE FUNCTION vt_try(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  v text; st text; msg text; det text;
BEGIN
  EXECUTE query INTO v;
  RETURN 'ok: ' || v;
EXCEPTION WHEN others THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
  RETURN st || ': ' || msg || coalesce(E'\nDETAIL: ' || nullif(det, ''), '');
END $$;
-- not a time: special values, words relative to now, unknown zones,
-- out-of-range fields, garbage
SELECT v, vt_try(format('SELECT auditlog_fdw.read_vendor_time(%L)', v))
  FROM unnest(ARRAY['garbage', '', 'now', 'today', 'tomorrow', 'yesterday', 'epoch',
                    'infinity', '-infinity', '2026-12-01 05:51:01 Foo/Bar',
                    '2026-12-01 05:51:01 XYZ', '13/13/2026', '23/11/2026',
                    '2026-02-29', '2026-12-01T10:00:00+16:00', '99999999999999999999999']) v;
SELECT vt_try($$SELECT auditlog_fdw.read_vendor_time('2026-12-01', 'Mars/Olympus')$$);
-- a field documented as epoch milliseconds (Kore.ai timestampValue, Zoho
-- requestTime): a bare number is milliseconds, other text a time text, so
-- '2026-10-01' is that day and not 2026 ms after 1970
SELECT auditlog_fdw.read_vendor_time('2026-10-01', epoch_ms => true) AS date_text,
       auditlog_fdw.read_vendor_time('2026', epoch_ms => true) AS ms_2026,
       auditlog_fdw.read_vendor_time('-1000', epoch_ms => true) AS ms_negative,
       auditlog_fdw.read_vendor_time('1700000000123', epoch_ms => true)
         = to_timestamp(1700000000.123) AS ms_13_digits,
       auditlog_fdw.read_vendor_time('2026-12-01 05:51:01', 'Asia/Kolkata', true) AS zone_less;
SELECT v, vt_try(format('SELECT auditlog_fdw.read_vendor_time(%L, epoch_ms => true)', v))
  FROM unnest(ARRAY['99999999999999999', '-99999999999999999999', '12abc', '1.']) v;

-- scans: the same rows whatever the session's DateStyle and TimeZone.
-- Zendesk sends ISO 8601 (the fast path); Resolver, set to US dates with
-- AM/PM, goes through the server's reader, where day/month order matters
CREATE SCHEMA vt;
\getenv zd_port EMU_ZENDESK_PORT
\set zd_url 'http://127.0.0.1:' :zd_port
SELECT emu_reset('zendesk', 'rate_limit_per_min=0');
CREATE SERVER vt_zendesk FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url :'zd_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER vt_zendesk
  OPTIONS (email 'admin@example.com', api_token 'zd-test-token');
IMPORT FOREIGN SCHEMA audit LIMIT TO (zendesk_audit) FROM SERVER vt_zendesk INTO vt;
\getenv rs_port EMU_RESOLVER_PORT
\set rs_url 'http://127.0.0.1:' :rs_port
SELECT emu_reset('resolver', 'anchor=now&job_delay_ms=0&time_format=us');
CREATE SERVER vt_resolver FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'resolver', base_url :'rs_url', poll_interval_ms '10');
CREATE USER MAPPING FOR CURRENT_USER SERVER vt_resolver OPTIONS (api_token 'rslv-test-token');
IMPORT FOREIGN SCHEMA audit LIMIT TO (resolver_audit) FROM SERVER vt_resolver INTO vt;
SET DateStyle = 'ISO, MDY';
SET TimeZone = 'UTC';
-- the truth: the emulator's own records (/_emu/dump), their times read by
-- PostgreSQL here (ISO, MDY in UTC)
CREATE TEMP TABLE vt_zd AS
  SELECT (d->>'id')::bigint AS id, (d->>'created_at')::timestamptz AS created_at FROM emu_dump('zendesk') d;
CREATE TEMP TABLE vt_rs AS
  SELECT (d->>'Date and Time')::timestamptz AS date_time, d->>'Event' AS event, d->>'Subject' AS subject,
         d->>'Performed By' AS performed_by
    FROM emu_dump('resolver') d;
-- the FDW agrees with the vendor's own text, read by PostgreSQL here
SELECT count(*) AS zendesk_rows,
       count(*) FILTER (WHERE created_at = (raw->>'created_at')::timestamptz) AS as_postgres
  FROM vt.zendesk_audit;
SELECT count(*) AS resolver_rows,
       count(*) FILTER (WHERE date_time = (raw->>'Date and Time')::timestamptz) AS as_postgres,
       count(*) FILTER (WHERE raw->>'Date and Time' ~ '^\d\d/\d\d/\d{4} \d\d:\d\d:\d\d [AP]M$') AS us_format,
       count(*) FILTER (WHERE split_part(raw->>'Date and Time', '/', 2)::int > 12) > 0 AS day_above_12
  FROM vt.resolver_audit;
SET DateStyle = 'SQL, DMY';
SET TimeZone = 'Pacific/Chatham';
SELECT same_rows('SELECT id, created_at FROM vt.zendesk_audit', 'vt.zendesk_audit', 'vt_zd');
SELECT same_rows($$SELECT id, created_at FROM vt.zendesk_audit WHERE created_at >= '2026-10-20 00:00:00+00'$$,
                 'vt.zendesk_audit', 'vt_zd');
SELECT same_rows('SELECT date_time, event, subject, performed_by FROM vt.resolver_audit',
                 'vt.resolver_audit', 'vt_rs');
-- a timestamptz column on any field is read the same way: a text that is
-- no time fails the scan (HV000) naming the value, column and table
CREATE FOREIGN TABLE vt.zd_bad (id bigint, t timestamptz OPTIONS (column_name 'action'))
  SERVER vt_zendesk;
SELECT id, t FROM vt.zd_bad;
SELECT vt_try('SELECT t::text FROM vt.zd_bad LIMIT 1');
-- timestamptz(p) is rounded as the type's own input rounds (Kore.ai times
-- have milliseconds)
\getenv kore_port EMU_KOREAI_PORT
\set kore_url 'http://127.0.0.1:' :kore_port
SELECT emu_reset('koreai', 'rate_limit_per_min=0&rate_limit_per_hour=0');
CREATE SERVER vt_koreai FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'koreai', base_url :'kore_url', min_request_interval_ms '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER vt_koreai
  OPTIONS (client_id 'cs-kore-test-client', client_secret 'kore-test-secret-0123456789');
CREATE FOREIGN TABLE vt.kore_full (audit_log_id text, date_time timestamptz) SERVER vt_koreai;
CREATE FOREIGN TABLE vt.kore_p1 (audit_log_id text, date_time timestamptz(1)) SERVER vt_koreai;
CREATE TEMP TABLE vt_kore AS SELECT * FROM vt.kore_full;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE p.date_time = k.date_time::timestamptz(1)) AS rounded_as_postgres,
       count(*) FILTER (WHERE p.date_time <> k.date_time) > 0 AS some_changed
  FROM vt.kore_p1 p JOIN vt_kore k USING (audit_log_id);
RESET DateStyle;
RESET TimeZone;
SET client_min_messages = warning;
DROP SCHEMA vt CASCADE;
DROP SERVER vt_koreai CASCADE;
DROP SERVER vt_zendesk CASCADE;
DROP SERVER vt_resolver CASCADE;
DROP FUNCTION vt_session_reading(text);
DROP FUNCTION vt_try(text);
RESET client_min_messages;
