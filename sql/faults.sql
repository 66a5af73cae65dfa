-- Faults, for every vendor: each scan under an emulator fault returns
-- exactly the emulator's own data set (/_emu/dump, EXCEPT ALL both ways)
-- or fails with a clear error, never a silently partial result.  Then the
-- per-scan retry budget and deadline, and cancel (statement_timeout) at
-- each point a scan can wait.  Own servers (fa_*), small data sets.
SELECT * FROM emu_urls() \gset
CREATE SERVER fa_zd FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url :'zd_url', page_size '40', timeout_ms '500');
CREATE USER MAPPING FOR CURRENT_USER SERVER fa_zd
  OPTIONS (email 'admin@example.com', api_token 'zd-test-token');
CREATE SERVER fa_kore FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'koreai', base_url :'kore_url', min_request_interval_ms '0', page_size '40',
           timeout_ms '500');
CREATE USER MAPPING FOR CURRENT_USER SERVER fa_kore
  OPTIONS (client_id 'cs-kore-test-client', client_secret 'kore-test-secret-0123456789');
CREATE SERVER fa_zoho FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zoho_mail', base_url :'zoho_url', accounts_url :'zoho_url',
           zoid '57047751', min_request_interval_ms '0', page_size '40', timeout_ms '500');
CREATE USER MAPPING FOR CURRENT_USER SERVER fa_zoho
  OPTIONS (client_id 'zoho-test-client', client_secret 'zoho-test-secret', refresh_token 'zoho-test-refresh');
CREATE SERVER fa_zs FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zscaler', base_url :'zs_url', poll_interval_ms '10', timeout_ms '500',
           report_timeout_ms '1000');
CREATE USER MAPPING FOR CURRENT_USER SERVER fa_zs
  OPTIONS (username 'admin@example.com', password 'zia-test-password', api_key 'ZiaTestKey2026xyz');
CREATE SERVER fa_rs FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'resolver', base_url :'rs_url', poll_interval_ms '10', timeout_ms '500',
           report_timeout_ms '1000');
CREATE USER MAPPING FOR CURRENT_USER SERVER fa_rs OPTIONS (api_token 'rslv-test-token');
CREATE SCHEMA fa;
IMPORT FOREIGN SCHEMA audit FROM SERVER fa_zd INTO fa;
IMPORT FOREIGN SCHEMA audit FROM SERVER fa_kore INTO fa;
IMPORT FOREIGN SCHEMA audit FROM SERVER fa_zoho INTO fa;
IMPORT FOREIGN SCHEMA audit FROM SERVER fa_zs INTO fa;
IMPORT FOREIGN SCHEMA audit FROM SERVER fa_rs INTO fa;

-- per vendor: its table, a base emulator config (small data set, rate
-- limits off, jobs instant), and how a row and a dump record are keyed
-- (the record as the API sent it; ZIA's report rows by Trace ID)
CREATE TABLE fa_vendor (vendor text PRIMARY KEY, tbl text, base text, fkey text, dkey text);
INSERT INTO fa_vendor VALUES
  ('zendesk', 'zendesk_audit', 'records=100&rate_limit_per_min=0', 'raw', 'e'),
  ('koreai', 'koreai_audit', 'records=100&rate_limit_per_min=0&rate_limit_per_hour=0', 'raw', 'e'),
  ('zoho_mail', 'zoho_mail_audit', 'records=100&rate_limit_per_min=0', 'raw', 'e'),
  ('zscaler', 'zscaler_audit',
   'records=100&anchor=now&report_delay_ms=0&post_per_min=0&post_per_hour=0&req_per_sec=0&req_per_hour=0',
   'raw', '(e - ''_epoch_ms'') - ''Trace ID'''),
  ('resolver', 'resolver_audit', 'records=100&anchor=now&job_delay_ms=0', 'raw', 'e');
-- fa_cfg(vendor, extra): the base config plus extra; "anchor=now" becomes a
-- minute before the statement's start, so that no record is newer than the
-- scan's pinned start (those rows are rightly not returned)
CREATE FUNCTION fa_cfg(v text, extra text DEFAULT '') RETURNS text
LANGUAGE sql AS $$
  SELECT replace(base, 'anchor=now', 'anchor=' ||
                 to_char((now() - interval '1 min') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
         || CASE WHEN extra <> '' THEN '&' || extra ELSE '' END
    FROM fa_vendor WHERE vendor = v $$;
CREATE TABLE fa_dump (vendor text, e jsonb);
-- fa_scan(vendor): the scan against the emulator's dump, or the error
CREATE FUNCTION fa_scan(v text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  fv fa_vendor;
  n bigint; missing bigint; extra bigint;
  st text; msg text;
BEGIN
  SELECT * INTO STRICT fv FROM fa_vendor WHERE vendor = v;
  -- the dump first: a control request, never faulted
  DELETE FROM fa_dump;
  INSERT INTO fa_dump SELECT v, jsonb_array_elements(string_agg(l, E'\n')::jsonb)
    FROM emu(v, '/_emu/dump') l;
  EXECUTE format('WITH f AS MATERIALIZED (SELECT %s AS k FROM fa.%I),
                       d AS MATERIALIZED (SELECT %s AS k FROM fa_dump)
                  SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM (TABLE d EXCEPT ALL TABLE f) m),
                         (SELECT count(*) FROM (TABLE f EXCEPT ALL TABLE d) x)',
                 fv.fkey, fv.tbl, fv.dkey)
    INTO n, missing, extra;
  RETURN format('%s rows, %s missing, %s extra', n, missing, extra);
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
  RETURN st || ': ' || msg;
END $$;

-- ---- the fault matrix: every vendor under every fault
-- (retry_after 0 and 1; each fault a bounded number of times unless the
-- point is a storm)
CREATE TABLE fa_case (n int, name text, cfg text);
INSERT INTO fa_case VALUES
  (1, 'none', ''),
  (2, '429 storm, Retry-After 0', 'fault=rate_limit&retry_after=0&fault_count=3'),
  (3, '429, Retry-After 1', 'fault=rate_limit&retry_after=1&fault_skip=1&fault_count=1'),
  (4, '429 forever', 'fault=rate_limit&retry_after=0'),
  (5, '503 every 2nd', 'fault=status&fault_status=503&fault_every=2&fault_count=2'),
  (6, '500 after 2', 'fault=status&fault_status=500&fault_skip=2&fault_count=1'),
  (7, 'connection reset', 'fault=reset&fault_skip=1&fault_count=1'),
  (8, 'truncated body', 'fault=truncate&fault_skip=1&fault_count=1'),
  (9, 'body cut in half', 'fault=cut&fault_skip=1&fault_count=1'),
  (10, 'malformed (HTML)', 'fault=malformed&fault_skip=1&fault_count=1'),
  (11, 'slower than timeout_ms', 'latency_ms=800');
CREATE FUNCTION fa_matrix(v text) RETURNS TABLE (n int, fault text, result text)
LANGUAGE plpgsql AS $$
DECLARE
  c fa_case;
BEGIN
  FOR c IN SELECT * FROM fa_case ORDER BY 1 LOOP
    PERFORM emu_reset(v, fa_cfg(v, c.cfg));
    n := c.n;
    fault := c.name;
    result := fa_scan(v);
    RETURN NEXT;
  END LOOP;
END $$;
-- one attempt may take 500 ms (the slow case), 3 retries
ALTER SERVER fa_zd OPTIONS (ADD max_retries '3');
ALTER SERVER fa_kore OPTIONS (ADD max_retries '3');
ALTER SERVER fa_zoho OPTIONS (ADD max_retries '3');
ALTER SERVER fa_zs OPTIONS (ADD max_retries '3');
ALTER SERVER fa_rs OPTIONS (ADD max_retries '3');
SELECT * FROM fa_matrix('zendesk');
SELECT * FROM fa_matrix('koreai');
SELECT * FROM fa_matrix('zoho_mail');
SELECT * FROM fa_matrix('zscaler');
SELECT * FROM fa_matrix('resolver');
-- report jobs that fail, or never finish
SELECT emu_reset('zscaler', fa_cfg('zscaler', 'fail_reports=1'));
SELECT fa_scan('zscaler') AS zscaler_report_errored;
SELECT emu_reset('zscaler', fa_cfg('zscaler', 'report_delay_ms=600000'));
SELECT fa_scan('zscaler') AS zscaler_report_never_done;
SELECT emu_reset('resolver', fa_cfg('resolver', 'fail_jobs=1'));
SELECT fa_scan('resolver') AS resolver_job_failed;
SELECT emu_reset('resolver', fa_cfg('resolver', 'job_delay_ms=600000'));
SELECT fa_scan('resolver') AS resolver_job_never_done;

-- ---- retry budget per scan (max_scan_retries) and deadline (scan_timeout_ms)
-- every 2nd request is a 503: 3 pages take 2 retries, well within
-- max_retries, but more than a budget of 1
SELECT emu_reset('zendesk', 'records=100&rate_limit_per_min=0&fault=status&fault_every=2&retry_after=0');
ALTER FOREIGN TABLE fa.zendesk_audit OPTIONS (ADD max_scan_retries '1');
SELECT fa_scan('zendesk') AS budget_1;
ALTER FOREIGN TABLE fa.zendesk_audit OPTIONS (SET max_scan_retries '10');
SELECT fa_scan('zendesk') AS budget_10;
-- max_scan_retries 0: no retries at all
ALTER FOREIGN TABLE fa.zendesk_audit OPTIONS (SET max_scan_retries '0');
SELECT fa_scan('zendesk') AS budget_0;
ALTER FOREIGN TABLE fa.zendesk_audit OPTIONS (DROP max_scan_retries);
-- a deadline: 3 pages of 400 ms each do not fit in 1 s, but fit in 5 s
SELECT emu_reset('zendesk', 'records=100&rate_limit_per_min=0&latency_ms=400');
ALTER FOREIGN TABLE fa.zendesk_audit OPTIONS (ADD scan_timeout_ms '1000');
SELECT fa_scan('zendesk') AS deadline_1s;
ALTER FOREIGN TABLE fa.zendesk_audit OPTIONS (SET scan_timeout_ms '5000');
SELECT fa_scan('zendesk') AS deadline_5s;
-- a backoff sleep that would end after the deadline fails at once
SELECT emu_reset('zendesk', 'records=100&rate_limit_per_min=0&fault=rate_limit&retry_after=30&fault_count=1');
ALTER FOREIGN TABLE fa.zendesk_audit OPTIONS (SET scan_timeout_ms '1000');
SELECT clock_timestamp() AS t0 \gset
SELECT fa_scan('zendesk') AS deadline_backoff,
       clock_timestamp() - :'t0'::timestamptz < interval '1 s' AS failed_at_once;
-- a report job polled past the deadline
SELECT emu_reset('resolver', fa_cfg('resolver', 'job_delay_ms=600000'));
ALTER FOREIGN TABLE fa.resolver_audit OPTIONS (ADD scan_timeout_ms '500');
SELECT fa_scan('resolver') AS deadline_polling;
ALTER FOREIGN TABLE fa.resolver_audit OPTIONS (DROP scan_timeout_ms);
ALTER FOREIGN TABLE fa.zendesk_audit OPTIONS (DROP scan_timeout_ms);
-- bad values
ALTER SERVER fa_zd OPTIONS (ADD scan_timeout_ms '-1');
ALTER SERVER fa_zd OPTIONS (ADD max_scan_retries 'many');

-- ---- cancel: statement_timeout ends the scan within 1 s wherever it waits,
-- with 57014 (VERBOSITY sqlstate prints just the code)
ALTER SERVER fa_zd OPTIONS (SET timeout_ms '60000', SET max_retries '10');
ALTER SERVER fa_zs OPTIONS (SET timeout_ms '60000', SET report_timeout_ms '600000');
ALTER SERVER fa_rs OPTIONS (SET timeout_ms '60000', SET report_timeout_ms '600000');
\set VERBOSITY sqlstate
-- a slow response (the body not yet there)
SELECT emu_reset('zendesk', 'records=100&rate_limit_per_min=0&latency_ms=30000');
SELECT clock_timestamp() AS t0 \gset
SET statement_timeout = '500ms';
SELECT count(*) FROM fa.zendesk_audit;
RESET statement_timeout;
SELECT clock_timestamp() - :'t0' < interval '1.5 s' AS slow_body_ended_within_1s;
-- a backoff sleep (429 with Retry-After 30)
SELECT emu_reset('zendesk', 'records=100&rate_limit_per_min=0&fault=rate_limit&retry_after=30');
SELECT clock_timestamp() AS t0 \gset
SET statement_timeout = '500ms';
SELECT count(*) FROM fa.zendesk_audit;
RESET statement_timeout;
SELECT clock_timestamp() - :'t0' < interval '1.5 s' AS backoff_ended_within_1s;
-- polling a ZIA report that does not finish; the report is then cancelled
-- at ZIA (DELETE), as its API allows
SELECT emu_reset('zscaler', fa_cfg('zscaler', 'report_delay_ms=600000'));
SELECT clock_timestamp() AS t0 \gset
SET statement_timeout = '700ms';
SELECT count(*) FROM fa.zscaler_audit;
RESET statement_timeout;
SELECT clock_timestamp() - :'t0' < interval '1.7 s' AS zia_polling_ended_within_1s;
SELECT pg_sleep(0.3);
SELECT split_part(e, ' ', 2) AS method, split_part(split_part(e, ' ', 3), '?', 1) AS path
  FROM emu('zscaler', '/_emu/log') e WHERE e ~ 'auditlogEntryReport' AND e !~ ' GET ';
-- polling a Resolver export job that does not finish (its API has no cancel)
SELECT emu_reset('resolver', fa_cfg('resolver', 'job_delay_ms=600000'));
SELECT clock_timestamp() AS t0 \gset
SET statement_timeout = '700ms';
SELECT count(*) FROM fa.resolver_audit;
RESET statement_timeout;
SELECT clock_timestamp() - :'t0' < interval '1.7 s' AS resolver_polling_ended_within_1s;
\set VERBOSITY default
