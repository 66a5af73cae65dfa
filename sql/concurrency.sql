-- Concurrency: a multi-page time range runs as concurrent sub-windows, each
-- its own cursor chain (src/chains.c).  For Zendesk, Kore.ai and Zoho Mail
-- at concurrency 1, 4 and 8: the rows equal the emulator's own data, also
-- when records sharing one instant lie exactly on a sub-window boundary;
-- ORDER BY pushed comes out in order; LIMIT 10 and a one-page window cost
-- one request; a fault in one chain fails the scan.
SELECT * FROM emu_urls() \gset
SELECT emu_reset('zendesk', 'rate_limit_per_min=0&records=3000');
SELECT emu_reset('koreai', 'rate_limit_per_min=0&rate_limit_per_hour=0');
SELECT emu_reset('zoho_mail', 'rate_limit_per_min=0');
CREATE SCHEMA cc;
CREATE SERVER cc_zd FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url :'zd_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER cc_zd
  OPTIONS (email 'admin@example.com', api_token 'zd-test-token');
CREATE SERVER cc_kore FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'koreai', base_url :'kore_url', min_request_interval_ms '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER cc_kore
  OPTIONS (client_id 'cs-kore-test-client', client_secret 'kore-test-secret-0123456789');
CREATE SERVER cc_zoho FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zoho_mail', base_url :'zoho_url', accounts_url :'zoho_url',
           zoid '57047751', min_request_interval_ms '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER cc_zoho
  OPTIONS (client_id 'zoho-test-client', client_secret 'zoho-test-secret', refresh_token 'zoho-test-refresh');
IMPORT FOREIGN SCHEMA audit LIMIT TO (zendesk_audit) FROM SERVER cc_zd INTO cc;
IMPORT FOREIGN SCHEMA audit LIMIT TO (koreai_audit) FROM SERVER cc_kore INTO cc;
IMPORT FOREIGN SCHEMA audit LIMIT TO (zoho_mail_audit) FROM SERVER cc_zoho INTO cc;
-- small pages, so that a 10-day window is many pages
ALTER FOREIGN TABLE cc.zendesk_audit OPTIONS (ADD page_size '25');
ALTER FOREIGN TABLE cc.koreai_audit OPTIONS (ADD page_size '25');
ALTER FOREIGN TABLE cc.zoho_mail_audit OPTIONS (ADD page_size '25');
-- the ground truth: the emulator's own records (/_emu/dump)
CREATE TABLE cc_zd_all AS
  SELECT (jsonb_populate_record(NULL::cc.zendesk_audit, d || jsonb_build_object('raw', d))).*
    FROM emu_dump('zendesk') d;
CREATE TABLE cc_kore_all AS
  SELECT d->>'AuditLogId' AS audit_log_id,
         'epoch'::timestamptz + (d->>'timestampValue')::bigint * interval '1 ms' AS date_time,
         d->>'Name' AS name, d->>'Category' AS category, d->>'Description' AS description, d AS raw
    FROM emu_dump('koreai') d;
CREATE TABLE cc_zoho_all AS
  SELECT 'epoch'::timestamptz + (d->>'requestTime')::bigint * interval '1 ms' AS request_time,
         d->>'performedBy' AS performed_by, coalesce(d->>'performedOn', d->>'performedFor') AS performed_on,
         (d->>'clientIp')::inet AS client_ip, d->>'mainCategory' AS main_category,
         d->>'category' AS category, d->>'subCategory' AS sub_category, d->>'operation' AS operation,
         d->>'operationType' AS operation_type, d->>'status' AS status, d->>'type' AS type,
         d->>'auditLogType' AS audit_log_type, (d->>'data')::jsonb AS data, d AS raw
    FROM emu_dump('zoho_mail') d;
-- tie(local, col): an instant in the middle of the data that at least two
-- records share; the windows below are tie +- 5 days, so that with 4 and 8
-- equal sub-windows one boundary is exactly that instant
CREATE FUNCTION tie(local text, col text) RETURNS timestamptz
LANGUAGE plpgsql AS $$
DECLARE t timestamptz;
BEGIN
  EXECUTE format('SELECT %2$I FROM %1$I
                   WHERE %2$I BETWEEN (SELECT min(%2$I) + interval ''12 days'' FROM %1$I)
                                  AND (SELECT max(%2$I) - interval ''12 days'' FROM %1$I)
                   GROUP BY 1 HAVING count(*) >= 2 ORDER BY 1 LIMIT 1', local, col) INTO STRICT t;
  RETURN t;
END $$;
SELECT tie('cc_zd_all', 'created_at') AS zd_t, tie('cc_kore_all', 'date_time') AS kore_t,
       tie('cc_zoho_all', 'request_time') AS zoho_t \gset
SELECT (SELECT count(*) FROM cc_zd_all WHERE created_at = :'zd_t') AS zd_tied,
       (SELECT count(*) FROM cc_kore_all WHERE date_time = :'kore_t') AS kore_tied,
       (SELECT count(*) FROM cc_zoho_all WHERE request_time = :'zoho_t') AS zoho_tied;
-- cc_check: at concurrency 1, 4 and 8, the window [t - 5 days, t + 5 days)
-- against the local copy; the requests it took, over how many distinct
-- lower bounds (sub-windows), and whether one sub-window starts at t (the
-- vendor's lower bound parameter for t, widened as always: tie_param)
CREATE FUNCTION cc_check(srv text, tbl text, col text, local text, t timestamptz,
                         vendor text, bound_re text, tie_param text, lo_param text, hi_param text)
RETURNS TABLE (concurrency int, result text, requests bigint, windows bigint, tie_on_boundary bool)
LANGUAGE plpgsql AS $$
DECLARE c int;
BEGIN
  FOREACH c IN ARRAY ARRAY[1, 4, 8] LOOP
    EXECUTE format('ALTER SERVER %I OPTIONS (%s concurrency %L)', srv,
                   CASE WHEN c = 1 THEN 'ADD' ELSE 'SET' END, c::text);
    PERFORM emu_clear(vendor);
    concurrency := c;
    result := same_rows(format('SELECT * FROM %s WHERE %I >= %L AND %I < %L', tbl,
                               col, t - interval '5 days', col, t + interval '5 days'), tbl, local);
    SELECT count(*), count(DISTINCT substring(l.line from bound_re)),
           coalesce(bool_or(substring(l.line from bound_re) = tie_param), false)
      INTO requests, windows, tie_on_boundary
      FROM emu_log(vendor) l
     WHERE l.line NOT LIKE '%/oauth/%'
       -- only this scan's sub-windows: a request an earlier scan of this
       -- backend abandoned may still be sent while this one drives curl
       AND substring(l.line from bound_re) BETWEEN lo_param AND hi_param;
    RETURN NEXT;
  END LOOP;
  EXECUTE format('ALTER SERVER %I OPTIONS (DROP concurrency)', srv);
END $$;
-- per vendor: the table, its time column and local copy, and the vendor's
-- lower bound parameter for t (widened as always)
CREATE FUNCTION cc_zd(t timestamptz)
RETURNS TABLE (concurrency int, result text, requests bigint, windows bigint, tie_on_boundary bool)
LANGUAGE sql AS $$
  SELECT * FROM cc_check('cc_zd', 'cc.zendesk_audit', 'created_at', 'cc_zd_all', t, 'zendesk',
                         'filter\[created_at\]\[\]=([^&]*)',
                         to_char((t - interval '1 s') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                         to_char((t - interval '5 days 1 s') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                         to_char((t + interval '5 days') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')) $$;
CREATE FUNCTION cc_kore(t timestamptz)
RETURNS TABLE (concurrency int, result text, requests bigint, windows bigint, tie_on_boundary bool)
LANGUAGE sql AS $$
  SELECT * FROM cc_check('cc_kore', 'cc.koreai_audit', 'date_time', 'cc_kore_all', t, 'koreai',
                         'fromDate=([^&]*)',
                         to_char((t - interval '1 ms') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                         to_char((t - interval '5 days 1 ms') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                         to_char((t + interval '5 days') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) $$;
CREATE FUNCTION cc_zoho(t timestamptz)
RETURNS TABLE (concurrency int, result text, requests bigint, windows bigint, tie_on_boundary bool)
LANGUAGE sql AS $$
  SELECT * FROM cc_check('cc_zoho', 'cc.zoho_mail_audit', 'request_time', 'cc_zoho_all', t, 'zoho_mail',
                         'startTime=([^&]*)', ((extract(epoch FROM t) * 1000)::bigint - 1)::text,
                         ((extract(epoch FROM t - interval '5 days') * 1000)::bigint - 1)::text,
                         ((extract(epoch FROM t + interval '5 days') * 1000)::bigint)::text) $$;
-- unordered: the first page is a probe; as more pages exist, the range runs
-- as `concurrency` equal sub-windows (the probe's rows are read again by
-- them: their order is not known)
SELECT * FROM cc_zd(:'zd_t');
SELECT * FROM cc_kore(:'kore_t');
SELECT * FROM cc_zoho(:'zoho_t');
-- the same whatever the vendor's bound semantics and record order (the
-- emulator's switches for what the docs leave open)
SELECT emu('zendesk', '/_emu/config?created_at_bounds=exclusive') IS NOT NULL;
SELECT concurrency, result, tie_on_boundary FROM cc_zd(:'zd_t');
SELECT emu('zendesk', '/_emu/config?created_at_bounds=inclusive') IS NOT NULL;
SELECT emu('koreai', '/_emu/config?date_bounds=half_open&order=desc') IS NOT NULL;
SELECT concurrency, result, tie_on_boundary FROM cc_kore(:'kore_t');
SELECT emu('koreai', '/_emu/config?date_bounds=inclusive&order=asc') IS NOT NULL;
SELECT emu('zoho_mail', '/_emu/config?time_bounds=exclusive') IS NOT NULL;
SELECT concurrency, result, tie_on_boundary FROM cc_zoho(:'zoho_t');
SELECT emu('zoho_mail', '/_emu/config?time_bounds=inclusive') IS NOT NULL;
-- ORDER BY pushed: no local Sort; the probe page keeps its rows before its
-- last record's time, the rest runs as windows in order, row by row the
-- order of the local copy (Zendesk breaks ties by id in the same direction)
EXPLAIN (COSTS OFF)
  SELECT id FROM cc.zendesk_audit WHERE created_at >= '2026-10-10' AND created_at < '2026-10-20' ORDER BY created_at;
EXPLAIN (COSTS OFF)
  SELECT id FROM cc.zendesk_audit WHERE created_at >= '2026-10-10' AND created_at < '2026-10-20' ORDER BY created_at DESC;
CREATE FUNCTION cc_order(dir text, t timestamptz)
RETURNS TABLE (concurrency int, nrows bigint, out_of_order bigint, requests bigint, windows bigint)
LANGUAGE plpgsql AS $$
DECLARE c int;
BEGIN
  FOREACH c IN ARRAY ARRAY[1, 4, 8] LOOP
    EXECUTE format('ALTER SERVER cc_zd OPTIONS (%s concurrency %L)',
                   CASE WHEN c = 1 THEN 'ADD' ELSE 'SET' END, c::text);
    PERFORM emu_clear('zendesk');
    concurrency := c;
    EXECUTE format($q$
      WITH f AS MATERIALIZED (
             SELECT row_number() OVER () AS n, id
               FROM (SELECT id FROM cc.zendesk_audit WHERE created_at >= %1$L AND created_at < %2$L
                      ORDER BY created_at %3$s) s),
           l AS (SELECT row_number() OVER (ORDER BY created_at %3$s, id %3$s) AS n, id
                   FROM cc_zd_all WHERE created_at >= %1$L AND created_at < %2$L)
      SELECT count(*), count(*) FILTER (WHERE f.id IS DISTINCT FROM l.id) FROM f FULL JOIN l USING (n)$q$,
      t - interval '5 days', t + interval '5 days', dir) INTO nrows, out_of_order;
    SELECT count(*), count(DISTINCT substring(l.line from 'filter\[created_at\]\[\]=([^&]*)&filter\[created_at\]\[\]=[^&]*'))
      INTO requests, windows FROM emu_log('zendesk') l;
    RETURN NEXT;
  END LOOP;
  ALTER SERVER cc_zd OPTIONS (DROP concurrency);
END $$;
SELECT * FROM cc_order('ASC', :'zd_t');
SELECT * FROM cc_order('DESC', :'zd_t');
-- LIMIT 10 is one request, with no prefetch and no split, at concurrency 8
ALTER SERVER cc_zd OPTIONS (ADD concurrency '8');
ALTER SERVER cc_kore OPTIONS (ADD concurrency '8');
ALTER SERVER cc_zoho OPTIONS (ADD concurrency '8');
SELECT emu_clear('zendesk'), emu_clear('koreai'), emu_clear('zoho_mail');
SELECT count(*) FROM (SELECT * FROM cc.zendesk_audit
                       WHERE created_at >= :'zd_t'::timestamptz - interval '5 days' LIMIT 10) s;
SELECT count(*) FROM (SELECT * FROM cc.koreai_audit
                       WHERE date_time >= :'kore_t'::timestamptz - interval '5 days' LIMIT 10) s;
SELECT count(*) FROM (SELECT * FROM cc.zoho_mail_audit
                       WHERE request_time >= :'zoho_t'::timestamptz - interval '5 days' LIMIT 10) s;
SELECT (SELECT count(*) FROM emu_log('zendesk')) AS zendesk_requests,
       (SELECT count(*) FROM emu_log('koreai')) AS koreai_requests,
       (SELECT count(*) FROM emu_log('zoho_mail') l WHERE l.line NOT LIKE '%/oauth/%') AS zoho_requests;
-- a one-hour window is one page: one request (Zoho: and the empty page
-- that ends its records), never a split
SELECT same_rows(format('SELECT * FROM cc.zendesk_audit WHERE created_at >= %L AND created_at < %L',
                        :'zd_t'::timestamptz - interval '1 hour', :'zd_t'), 'cc.zendesk_audit', 'cc_zd_all');
SELECT same_rows(format('SELECT * FROM cc.koreai_audit WHERE date_time >= %L AND date_time < %L',
                        :'kore_t'::timestamptz - interval '1 hour', :'kore_t'), 'cc.koreai_audit', 'cc_kore_all');
SELECT same_rows(format('SELECT * FROM cc.zoho_mail_audit WHERE request_time >= %L AND request_time < %L',
                        :'zoho_t'::timestamptz - interval '1 hour', :'zoho_t'), 'cc.zoho_mail_audit', 'cc_zoho_all');
SELECT (SELECT count(*) FROM emu_log('zendesk')) AS zendesk_requests,
       (SELECT count(*) FROM emu_log('koreai')) AS koreai_requests,
       (SELECT count(*) FROM emu_log('zoho_mail') l WHERE l.line NOT LIKE '%/oauth/%') AS zoho_requests;
-- a retried 500 in one chain: the scan still returns every row once
SELECT emu('zendesk', '/_emu/config?fault=status&fault_status=500&fault_skip=4&fault_count=1') IS NOT NULL;
SELECT same_rows(format('SELECT * FROM cc.zendesk_audit WHERE created_at >= %L AND created_at < %L',
                        :'zd_t'::timestamptz - interval '5 days', :'zd_t'::timestamptz + interval '5 days'),
                 'cc.zendesk_audit', 'cc_zd_all');
-- a fault in one chain fails the scan, whichever chain it hits
SELECT emu('zendesk', '/_emu/config?fault=status&fault_status=400&fault_skip=4&fault_count=1') IS NOT NULL;
SELECT split_part(try(format('SELECT * FROM cc.zendesk_audit WHERE created_at >= %L AND created_at < %L',
                             :'zd_t'::timestamptz - interval '5 days', :'zd_t'::timestamptz + interval '5 days')),
                  E'\n', 1) AS error;
SELECT emu('koreai', '/_emu/config?fault=malformed&fault_skip=4&fault_count=1') IS NOT NULL;
SELECT split_part(try(format('SELECT * FROM cc.koreai_audit WHERE date_time >= %L AND date_time < %L',
                             :'kore_t'::timestamptz - interval '5 days', :'kore_t'::timestamptz + interval '5 days')),
                  E'\n', 1) AS error;
SELECT emu('zoho_mail', '/_emu/config?fault=cut&fault_skip=4&fault_count=1') IS NOT NULL;
SELECT split_part(try(format('SELECT * FROM cc.zoho_mail_audit WHERE request_time >= %L AND request_time < %L',
                             :'zoho_t'::timestamptz - interval '5 days', :'zoho_t'::timestamptz + interval '5 days')),
                  E'\n', 1) AS error;
-- after a failed scan the next one is whole again (nothing left in flight)
SELECT same_rows(format('SELECT * FROM cc.zendesk_audit WHERE created_at >= %L AND created_at < %L',
                        :'zd_t'::timestamptz - interval '5 days', :'zd_t'::timestamptz + interval '5 days'),
                 'cc.zendesk_audit', 'cc_zd_all');
-- a rescan restarts every chain: the inner side of a nested loop, once per
-- outer row, each time every row of its window
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_material = off;
PREPARE nl AS
SELECT o.k, count(z.id)
  FROM (VALUES (1), (2), (3)) o(k)
  LEFT JOIN cc.zendesk_audit z
    ON z.created_at >= :'zd_t'::timestamptz - interval '5 days'
   AND z.created_at < :'zd_t'::timestamptz + interval '5 days' AND z.id % 3 = o.k - 1
 GROUP BY o.k ORDER BY o.k;
EXPLAIN (COSTS OFF) EXECUTE nl;
EXECUTE nl;
DEALLOCATE nl;
SELECT o.k, count(*) FROM (VALUES (1), (2), (3)) o(k), cc_zd_all z
 WHERE z.created_at >= :'zd_t'::timestamptz - interval '5 days'
   AND z.created_at < :'zd_t'::timestamptz + interval '5 days' AND z.id % 3 = o.k - 1
 GROUP BY o.k ORDER BY o.k;
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_material;
ALTER SERVER cc_zd OPTIONS (DROP concurrency);
ALTER SERVER cc_kore OPTIONS (DROP concurrency);
ALTER SERVER cc_zoho OPTIONS (DROP concurrency);
SET client_min_messages = warning;
DROP SCHEMA cc CASCADE;
DROP SERVER cc_zd, cc_kore, cc_zoho CASCADE;
RESET client_min_messages;
DROP TABLE cc_zd_all, cc_kore_all, cc_zoho_all;
SELECT emu_reset('zendesk');
SELECT emu_reset('koreai');
SELECT emu_reset('zoho_mail');
