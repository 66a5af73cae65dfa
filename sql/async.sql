-- Asynchronous Append (issue 10, target 6): a UNION ALL across vendors runs
-- their scans together (Async Foreign Scan), returns exactly the emulator's
-- rows, fails as a whole when one branch fails, works under LIMIT, and
-- EXPLAIN ANALYZE shows what each scan cost at the vendor.
SELECT * FROM emu_urls() \gset
SELECT emu_reset('zendesk', 'rate_limit_per_min=0');
SELECT emu_reset('koreai', 'rate_limit_per_min=0&rate_limit_per_hour=0');
CREATE SCHEMA asy;
CREATE SERVER asy_zd FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url :'zd_url', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER asy_zd
  OPTIONS (email 'admin@example.com', api_token 'zd-test-token');
CREATE SERVER asy_kore FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'koreai', base_url :'kore_url', min_request_interval_ms '0', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER asy_kore
  OPTIONS (client_id 'cs-kore-test-client', client_secret 'kore-test-secret-0123456789');
IMPORT FOREIGN SCHEMA audit FROM SERVER asy_zd INTO asy;
IMPORT FOREIGN SCHEMA audit FROM SERVER asy_kore INTO asy;
CREATE VIEW asy.events AS
  SELECT 'zendesk' AS vendor, id::text AS id, created_at AS at FROM asy.zendesk_audit
  UNION ALL
  SELECT 'koreai', audit_log_id, date_time FROM asy.koreai_audit;
-- the ground truth: the emulators' own records, not a copy read through the FDW
CREATE TEMP TABLE asy_truth AS
  SELECT 'zendesk' AS vendor, d->>'id' AS id, (d->>'created_at')::timestamptz AS at
    FROM emu_dump('zendesk') d
  UNION ALL
  SELECT 'koreai', d->>'AuditLogId', 'epoch'::timestamptz + (d->>'timestampValue')::bigint * interval '1 ms'
    FROM emu_dump('koreai') d;
-- async_capable is on by default: both branches are Async Foreign Scans
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM asy.events;
-- exactly the emulators' rows, each once (logs cleared first: a request a
-- previous test's backend left in flight may be logged late)
SELECT emu_clear('zendesk'), emu_clear('koreai');
CREATE TEMP TABLE asy_got AS SELECT * FROM asy.events;
SELECT (SELECT count(*) FROM asy_truth) AS truth, (SELECT count(*) FROM asy_got) AS got,
       (SELECT count(*) FROM (TABLE asy_truth EXCEPT ALL TABLE asy_got) m) AS missing,
       (SELECT count(*) FROM (TABLE asy_got EXCEPT ALL TABLE asy_truth) e) AS extra,
       (SELECT count(DISTINCT vendor) FROM asy_got) AS vendors;
-- both vendors were asked, each for every page once
SELECT count(*) AS zendesk_requests FROM emu_log('zendesk');
SELECT count(*) AS koreai_requests FROM emu_log('koreai');
-- EXPLAIN ANALYZE: per scan, requests, pages, retries, bytes (they vary with
-- the emulator's port, which is in the records' urls), connections opened
-- (none: the scans above left one per server open in this backend)
CREATE FUNCTION asy_explain(q text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  l text;
BEGIN
  FOR l IN EXECUTE 'EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
    IF l ~ 'Vendor Request:' THEN
      CONTINUE;					-- the pinned "now" in it varies
    END IF;
    RETURN NEXT regexp_replace(l, 'Vendor Bytes Received: \d+', 'Vendor Bytes Received: N');
  END LOOP;
END $$;
SELECT asy_explain('SELECT * FROM asy.events');
-- the numbers are real: bytes are the decoded bodies, at least 50 bytes a
-- record; pages are the emulator's requests (one batch per request, plus
-- none extra), here in a second backend-local run
CREATE FUNCTION asy_numbers(q text, OUT scan int, OUT requests bigint, OUT pages bigint,
                            OUT bytes bigint, OUT records bigint)
  RETURNS SETOF record LANGUAGE plpgsql AS $$
DECLARE
  l text;
BEGIN
  scan := 0;
  FOR l IN EXECUTE 'EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
    CASE
      WHEN l ~ 'Vendor Requests:' THEN scan := scan + 1; requests := substring(l FROM '\d+$');
      WHEN l ~ 'Vendor Pages:' THEN pages := substring(l FROM '\d+$');
      WHEN l ~ 'Vendor Bytes Received:' THEN bytes := substring(l FROM '\d+$');
      WHEN l ~ 'Vendor Records:' THEN records := substring(l FROM '\d+$'); RETURN NEXT;
      ELSE NULL;
    END CASE;
  END LOOP;
END $$;
SELECT emu_clear('zendesk'), emu_clear('koreai');
CREATE TEMP TABLE asy_numbers AS SELECT * FROM asy_numbers('SELECT * FROM asy.events');
SELECT scan, records, bytes > 50 * records AS bytes_plausible FROM asy_numbers ORDER BY scan;
SELECT (SELECT requests FROM asy_numbers WHERE scan = 1) = (SELECT count(*) FROM emu_log('zendesk')) AS zendesk_requests_match,
       (SELECT requests FROM asy_numbers WHERE scan = 2) = (SELECT count(*) FROM emu_log('koreai')) AS koreai_requests_match;
-- LIMIT over the union: the rows are real ones
SELECT count(*) AS limited FROM (SELECT * FROM asy.events LIMIT 150) s;
SELECT count(*) AS limited_real
  FROM (SELECT * FROM asy.events LIMIT 150) s
 WHERE (vendor, id, at) IN (SELECT vendor, id, at FROM asy_truth);
-- a filter on the union goes into each branch, rows still exact
SELECT count(*) = (SELECT count(*) FROM asy_truth WHERE at >= '2026-10-25') AS filtered_exact
  FROM asy.events WHERE at >= '2026-10-25';
-- an error in one branch fails the whole query (Kore.ai: 500 on its third page)
SELECT emu('koreai', '/_emu/config?fault=status&fault_status=500&fault_skip=2&fault_count=1') IS NOT NULL;
SELECT try('SELECT * FROM asy.events');
SELECT emu('koreai', '/_emu/config?fault=none') IS NOT NULL;
-- cancel: both vendors slow, statement_timeout stops the Append within a second
SELECT emu('zendesk', '/_emu/config?latency_ms=3000') IS NOT NULL;
SELECT emu('koreai', '/_emu/config?latency_ms=3000') IS NOT NULL;
CREATE TEMP TABLE asy_t0 AS SELECT clock_timestamp() AS t0;
SET statement_timeout = '300ms';
SELECT count(*) FROM asy.events;
RESET statement_timeout;
SELECT clock_timestamp() - t0 < interval '1.3 s' AS cancelled_in_time FROM asy_t0;
SELECT emu('zendesk', '/_emu/config?latency_ms=0') IS NOT NULL;
SELECT emu('koreai', '/_emu/config?latency_ms=0') IS NOT NULL;
-- cancel while the Append itself waits: Zendesk's first page (2 s) comes,
-- its prefetched second page (2 s more) is in flight, Kore.ai is done; the
-- timeout (2.5 s) ends the Append's wait on the scan's descriptor at once,
-- not when that page arrives (4 s)
SELECT emu('zendesk', '/_emu/config?latency_ms=2000') IS NOT NULL;
UPDATE asy_t0 SET t0 = clock_timestamp();
SET statement_timeout = '2500ms';
SELECT count(*) FROM asy.events;
RESET statement_timeout;
SELECT clock_timestamp() - t0 < interval '3.4 s' AS cancelled_in_time FROM asy_t0;
SELECT emu('zendesk', '/_emu/config?latency_ms=0') IS NOT NULL;
-- and the next query is exact again (no half-read connection was reused)
SELECT count(*) = (SELECT count(*) FROM asy_truth) AS exact_after_cancel FROM asy.events;
-- async_capable 'off' (server or table) keeps a plain Foreign Scan
ALTER SERVER asy_kore OPTIONS (ADD async_capable 'off');
EXPLAIN (COSTS OFF) SELECT * FROM asy.events;
ALTER SERVER asy_kore OPTIONS (DROP async_capable);
ALTER FOREIGN TABLE asy.zendesk_audit OPTIONS (ADD async_capable 'false');
EXPLAIN (COSTS OFF) SELECT * FROM asy.events;
ALTER FOREIGN TABLE asy.zendesk_audit OPTIONS (DROP async_capable);
ALTER SERVER asy_kore OPTIONS (ADD async_capable 'maybe');
-- and enable_async_append = off, PostgreSQL's own switch
SET enable_async_append = off;
EXPLAIN (COSTS OFF) SELECT * FROM asy.events;
RESET enable_async_append;
DROP SCHEMA asy CASCADE;
DROP SERVER asy_zd CASCADE;
DROP SERVER asy_kore CASCADE;
