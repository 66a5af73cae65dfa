-- Robustness: time bounds no vendor format can write, POSTs that must not
-- be repeated, the host allow-list, and what an error may show of a body.
-- Own servers (rb_*), so nothing here depends on the other files' state.
SELECT * FROM emu_urls() \gset
SELECT emu_reset('zendesk', 'rate_limit_per_min=0');
SELECT emu_reset('koreai', 'rate_limit_per_min=0&rate_limit_per_hour=0');
SELECT emu_reset('zoho_mail', 'rate_limit_per_min=0');
SELECT emu_reset('zscaler', 'anchor=now&report_delay_ms=0&post_per_min=0&post_per_hour=0&req_per_sec=0&req_per_hour=0');
SELECT emu_reset('resolver', 'anchor=now&job_delay_ms=0');
CREATE SERVER rb_zd FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url :'zd_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER rb_zd
  OPTIONS (email 'admin@example.com', api_token 'zd-test-token');
CREATE SERVER rb_kore FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'koreai', base_url :'kore_url', min_request_interval_ms '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER rb_kore
  OPTIONS (client_id 'cs-kore-test-client', client_secret 'kore-test-secret-0123456789');
CREATE SERVER rb_zoho FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zoho_mail', base_url :'zoho_url', accounts_url :'zoho_url',
           zoid '57047751', min_request_interval_ms '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER rb_zoho
  OPTIONS (client_id 'zoho-test-client', client_secret 'zoho-test-secret', refresh_token 'zoho-test-refresh');
CREATE SERVER rb_zs FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zscaler', base_url :'zs_url', poll_interval_ms '10');
CREATE USER MAPPING FOR CURRENT_USER SERVER rb_zs
  OPTIONS (username 'admin@example.com', password 'zia-test-password', api_key 'ZiaTestKey2026xyz');
CREATE SERVER rb_rs FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'resolver', base_url :'rs_url', poll_interval_ms '10');
CREATE USER MAPPING FOR CURRENT_USER SERVER rb_rs OPTIONS (api_token 'rslv-test-token');
CREATE SCHEMA rb;
IMPORT FOREIGN SCHEMA audit FROM SERVER rb_zd INTO rb;
IMPORT FOREIGN SCHEMA audit FROM SERVER rb_kore INTO rb;
IMPORT FOREIGN SCHEMA audit FROM SERVER rb_zoho INTO rb;
IMPORT FOREIGN SCHEMA audit FROM SERVER rb_zs INTO rb;
IMPORT FOREIGN SCHEMA audit FROM SERVER rb_rs INTO rb;
-- rb_log(vendor): method and path of the requests since the last call
CREATE FUNCTION rb_log(vendor text) RETURNS TABLE (status text, method text, path text)
LANGUAGE sql AS $$
  SELECT split_part(e, ' ', 1), split_part(e, ' ', 2),
         regexp_replace(regexp_replace(split_part(split_part(e, ' ', 3), '?', 1),
                                       '^/signed/[^/]+/', '/signed/<token>/'),
                        '^/object/job/.+', '/object/job/<id>')
    FROM emu(vendor, '/_emu/log?clear=1') e $$;
-- rb_try(q): runs q; its error as SQLSTATE, message and DETAIL, with times
-- and ports (which vary from run to run) masked
CREATE FUNCTION rb_try(q text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  st text;
  msg text;
  det text;
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
  det := regexp_replace(regexp_replace(regexp_replace(det, '\m\d{10}(\d{3})?\M', '<epoch>', 'g'),
                                       ':\d+/', ':<port>/', 'g'),
                        '/signed/[^/]+/', '/signed/<token>/', 'g');
  RETURN format('%s: %s | %s', st, msg, det);
END $$;

-- ---- time bounds a request cannot carry
-- EXPLAIN printed whatever was in the formatter's buffer for these.  Now:
-- a lower bound after year 9999 or an upper bound before 1970 is an empty
-- range (no request); an upper bound of infinity or after 9999 is the open
-- bound (the scan start); a lower bound of -infinity the open lower bound.
-- ISO seconds (Zendesk), ISO milliseconds (Kore.ai), epoch ms (Zoho),
-- and the report flows' JSON bodies (ZIA, Resolver)
CREATE TABLE rb_bounds (n int, cond text);
INSERT INTO rb_bounds VALUES
  (1, '> ''infinity'''), (2, '>= ''10000-01-01'''), (3, '< ''-infinity'''),
  (4, '<= ''4000-01-01 BC'''), (5, '< ''infinity'''), (6, '<= ''12000-06-01'''),
  (7, '>= ''-infinity'''), (8, '>= ''-infinity'' AND {t} < ''2026-10-01''');
CREATE FUNCTION rb_explain(tbl text, col text) RETURNS TABLE (n int, request text)
LANGUAGE plpgsql AS $$
DECLARE
  b record;
  line text;
BEGIN
  FOR b IN SELECT * FROM rb_bounds ORDER BY 1 LOOP
    FOR line IN EXECUTE format('EXPLAIN (VERBOSE, COSTS OFF) SELECT 1 FROM rb.%I WHERE %I %s',
                               tbl, col, replace(b.cond, '{t}', quote_ident(col))) LOOP
      IF line ~ 'Vendor Request' THEN
        n := b.n;
        request := btrim(line);
        RETURN NEXT;
      END IF;
    END LOOP;
  END LOOP;
END $$;
SELECT * FROM rb_explain('zendesk_audit', 'created_at');
SELECT * FROM rb_explain('koreai_audit', 'date_time');
SELECT * FROM rb_explain('zoho_mail_audit', 'request_time');
SELECT * FROM rb_explain('zscaler_audit', 'time');
SELECT * FROM rb_explain('resolver_audit', 'date_time');
-- run: empty ranges send nothing; the open bounds return every row (compared with
-- the emulator's own data); -infinity is no reason for ZIA's retention NOTICE
SELECT emu_clear('zendesk');
SELECT count(*) FROM rb.zendesk_audit WHERE created_at > 'infinity';
SELECT count(*) FROM rb.zendesk_audit WHERE created_at >= '10000-01-01';
SELECT count(*) FROM rb.zendesk_audit WHERE created_at < '-infinity';
SELECT count(*) AS requests FROM rb_log('zendesk');
-- the truth: the emulator's own records (/_emu/dump)
CREATE TABLE rb_zd_all AS
  SELECT (d->>'id')::bigint AS id, (d->>'created_at')::timestamptz AS created_at FROM emu_dump('zendesk') d;
SELECT count(*) AS rows FROM rb_zd_all;
SELECT same_rows($$SELECT id FROM rb.zendesk_audit WHERE created_at < 'infinity' AND created_at >= '-infinity'$$,
                 'rb.zendesk_audit', 'rb_zd_all');
SELECT same_rows($$SELECT id FROM rb.zendesk_audit WHERE created_at <= '12000-06-01'$$,
                 'rb.zendesk_audit', 'rb_zd_all');
SELECT count(*) FROM rb.koreai_audit WHERE date_time > 'infinity';
SELECT count(*) AS requests FROM rb_log('koreai');
SELECT count(*) > 0 AS some_rows, count(*) = (SELECT count(*) FROM emu_dump('zscaler') d
                    WHERE (d->>'_epoch_ms')::bigint < extract(epoch FROM now() - interval '175 days') * 1000) AS all_rows_no_notice
  FROM rb.zscaler_audit WHERE time >= '-infinity' AND time < now() - interval '175 days';
SELECT count(*) FROM rb.resolver_audit WHERE date_time < '-infinity';
SELECT count(*) AS requests FROM rb_log('resolver');

-- ---- requests that are not safe to repeat are not repeated
-- A POST that failed after reaching the vendor (a 5xx, a reset) may have
-- made a session, used a refresh, or started a job: one attempt, then
-- 08006 with the vendor's status in DETAIL.  A refusal (429) is retried.
-- ZIA login: each one makes a session.  A changed server drops the cached
-- session (request 1 is its logout), so the next scan logs in again.
ALTER SERVER rb_zs OPTIONS (ADD timeout_ms '30000');
SELECT emu_clear('zscaler');
SELECT emu('zscaler', '/_emu/config?fault=status&fault_status=500&fault_skip=1&fault_count=1') IS NOT NULL;
SELECT rb_try($$SELECT count(*) FROM rb.zscaler_audit WHERE time > now() - interval '1 hour'$$);
SELECT * FROM rb_log('zscaler');
-- ZIA report POST (after a login that works): a 502, and the job the vendor
-- may have started is cancelled (DELETE), not submitted again
SELECT emu('zscaler', '/_emu/config?fault=status&fault_status=502&fault_skip=1&fault_count=1') IS NOT NULL;
SELECT rb_try($$SELECT count(*) FROM rb.zscaler_audit WHERE time > now() - interval '1 hour'$$);
SELECT * FROM rb_log('zscaler');
-- Resolver export POST: a 500
SELECT emu('resolver', '/_emu/config?fault=status&fault_status=500&fault_count=1') IS NOT NULL;
SELECT rb_try('SELECT count(*) FROM rb.resolver_audit');
SELECT * FROM rb_log('resolver');
-- a connection reset after the POST was sent
SELECT emu('resolver', '/_emu/config?fault=reset&fault_count=1') IS NOT NULL;
SELECT rb_try('SELECT count(*) FROM rb.resolver_audit');
SELECT * FROM rb_log('resolver');
-- the Zoho refresh token: each refresh counts against 10 per 10 minutes
SELECT emu('zoho_mail', '/_emu/config?fault=status&fault_status=500&fault_count=1') IS NOT NULL;
SELECT rb_try($$SELECT count(*) FROM rb.zoho_mail_audit WHERE request_time > now() - interval '1 hour'$$);
SELECT * FROM rb_log('zoho_mail');
-- a 429 is the vendor declining: retried, and the scan completes
SELECT emu('resolver', '/_emu/config?fault=rate_limit&fault_count=1&retry_after=0') IS NOT NULL;
SELECT count(*) > 0 AS rows, count(*) = (SELECT count(*) FROM emu_dump('resolver')) AS all_rows FROM rb.resolver_audit;
SELECT * FROM rb_log('resolver');
-- a GET is still retried after a 500
SELECT emu_clear('zendesk');
SELECT emu('zendesk', '/_emu/config?fault=status&fault_status=500&fault_count=1') IS NOT NULL;
SELECT count(*) FROM rb.zendesk_audit WHERE created_at >= '2026-10-31' AND created_at < '2026-11-01';
SELECT status, method, path FROM rb_log('zendesk');

-- ---- auditlog_fdw.allowed_hosts: where requests may go
SHOW auditlog_fdw.allowed_hosts;
SET auditlog_fdw.allowed_hosts = 'acme.zendesk.com, *.zendesk.com';
SELECT count(*) FROM rb.zendesk_audit WHERE created_at >= '2026-10-31' AND created_at < '2026-11-01';
SET auditlog_fdw.allowed_hosts = '*.0.0.1';
SELECT count(*) FROM rb.zendesk_audit WHERE created_at >= '2026-10-31' AND created_at < '2026-11-01';
SET auditlog_fdw.allowed_hosts = 'example.com,127.0.0.1';
SELECT count(*) FROM rb.zendesk_audit WHERE created_at >= '2026-10-31' AND created_at < '2026-11-01';
SELECT count(*) AS requests FROM rb_log('zendesk');
-- vendor-supplied URLs too: Resolver's signed download URL on another host
SELECT emu('resolver', '/_emu/config?signed_base=http://localhost:' || port) IS NOT NULL
  FROM emu_port WHERE vendor = 'resolver';
SELECT rb_try('SELECT count(*) FROM rb.resolver_audit');
SELECT method, path FROM rb_log('resolver');
SET auditlog_fdw.allowed_hosts = '127.0.0.1, LOCALHOST';
SELECT count(*) > 0 AS rows, count(*) = (SELECT count(*) FROM emu_dump('resolver')) AS all_rows FROM rb.resolver_audit;
SELECT emu('resolver', '/_emu/config?signed_base=') IS NOT NULL;
-- and the Zoho accounts server (token URLs are checked like any other)
ALTER SERVER rb_zoho OPTIONS (SET accounts_url 'https://accounts.zoho.eu');
SET auditlog_fdw.allowed_hosts = '127.0.0.1';
SELECT count(*) FROM rb.zoho_mail_audit WHERE request_time > now() - interval '1 hour';
ALTER SERVER rb_zoho OPTIONS (SET accounts_url :'zoho_url');
-- bad lists, and only a superuser may change it
SET auditlog_fdw.allowed_hosts = 'a b';
SET auditlog_fdw.allowed_hosts = 'acme.*';
SET auditlog_fdw.allowed_hosts = '*.';
CREATE ROLE rb_user;
GRANT USAGE ON SCHEMA rb TO rb_user;
SET ROLE rb_user;
SET auditlog_fdw.allowed_hosts = '';
RESET ROLE;
DROP OWNED BY rb_user;
DROP ROLE rb_user;
RESET auditlog_fdw.allowed_hosts;

-- ---- unexpected bodies: short, one line, no secret
-- Zendesk's HTML error page (fault=malformed) in DETAIL: cut short, its
-- line breaks blanked
SELECT emu('zendesk', '/_emu/config?fault=malformed&fault_count=1') IS NOT NULL;
SELECT count(*) FROM rb.zendesk_audit WHERE created_at >= '2026-10-31' AND created_at < '2026-11-01';
