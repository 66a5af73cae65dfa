-- Security holes (issue 8): where credentials may be sent, control
-- characters in options, secret scrubbing in every form, and records
-- poisoned with NUL, \u0000 or invalid UTF-8
\getenv zd_port EMU_ZENDESK_PORT
\set zd_url 'http://127.0.0.1:' :zd_port
\getenv zoho_port EMU_ZOHO_MAIL_PORT
\set zoho_url 'http://127.0.0.1:' :zoho_port
\getenv rs_port EMU_RESOLVER_PORT
\set rs_url 'http://127.0.0.1:' :rs_port

-- ---- credential endpoints: server level, and on base_url's host unless a
-- superuser sets them
CREATE ROLE alf_tenant;
GRANT USAGE ON FOREIGN DATA WRAPPER auditlog_fdw TO alf_tenant;
CREATE SERVER sec_zoho FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zoho_mail', base_url 'https://mail.zoho.com', zoid '1');
GRANT USAGE ON FOREIGN SERVER sec_zoho TO alf_tenant;
CREATE USER MAPPING FOR PUBLIC SERVER sec_zoho
  OPTIONS (client_id 'cid', client_secret 'public-secret-1', refresh_token 'public-refresh-1');
GRANT CREATE ON SCHEMA public TO alf_tenant;
SET ROLE alf_tenant;
-- a table option would redirect the PUBLIC mapping's secrets: not allowed at all
CREATE FOREIGN TABLE sec_steal (request_time timestamptz) SERVER sec_zoho
  OPTIONS (accounts_url 'https://evil.example.com');
CREATE FOREIGN TABLE sec_steal (time timestamptz) SERVER sec_zoho
  OPTIONS (token_url 'https://evil.example.com/token');
-- a server of its own: the endpoint must be on base_url's host
CREATE SERVER sec_own FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zoho_mail', base_url 'https://mail.zoho.com', zoid '1',
           accounts_url 'https://evil.example.com');
CREATE SERVER sec_own FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zoho_mail', base_url 'https://mail.zoho.com', zoid '1',
           accounts_url 'https://MAIL.zoho.com');
ALTER SERVER sec_own OPTIONS (SET accounts_url 'https://evil.example.com');
-- moving base_url away from the endpoint is the same trick
ALTER SERVER sec_own OPTIONS (SET base_url 'https://evil.example.com');
ALTER SERVER sec_own OPTIONS (SET base_url 'https://mail.zoho.com:8443');
ALTER SERVER sec_own OPTIONS (ADD timeout_ms '1000');
CREATE SERVER sec_zia FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zscaler', base_url 'https://api.zsapi.net/zia',
           token_url 'https://evil.example.com/oauth2/v1/token');
CREATE SERVER sec_zia FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zscaler', base_url 'https://api.zsapi.net/zia',
           token_url 'https://api.zsapi.net/oauth2/v1/token');
-- the server's other options stay with the owner
ALTER SERVER sec_zia OPTIONS (ADD report_time_zone 'UTC');
RESET ROLE;
-- a superuser may use another host (Zoho's accounts server, ZIdentity)
ALTER SERVER sec_own OPTIONS (SET accounts_url 'https://accounts.zoho.com');
ALTER SERVER sec_zia OPTIONS (SET token_url 'https://acme.zslogin.net/oauth2/v1/token');
-- ... after which the owner can no longer change the server's options
ALTER SERVER sec_own OWNER TO alf_tenant;
SET ROLE alf_tenant;
ALTER SERVER sec_own OPTIONS (SET timeout_ms '2000');
-- (dropping it, back to Zoho's default accounts server, is allowed)
ALTER SERVER sec_own OPTIONS (DROP accounts_url);
RESET ROLE;
DROP SERVER sec_own, sec_zia, sec_zoho CASCADE;
REVOKE CREATE ON SCHEMA public FROM alf_tenant;
REVOKE USAGE ON FOREIGN DATA WRAPPER auditlog_fdw FROM alf_tenant;
DROP ROLE alf_tenant;

-- ---- control characters in any option value (header injection); the
-- value is never echoed
CREATE SERVER sec_zd FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url :'zd_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_zd
  OPTIONS (email 'admin@example.com', api_token E'ctl-token\r\nX-Injected: 1');
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_zd
  OPTIONS (oauth_token E'ctl-oauth\n');
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_zd
  OPTIONS (email 'admin@example.com', api_token E'ctl\x7ftoken');
ALTER SERVER sec_zd OPTIONS (ADD timeout_ms E'1000\t');
CREATE FOREIGN TABLE sec_ctl (id bigint OPTIONS (column_name E'id\n')) SERVER sec_zd;

-- ---- secrets scrubbed in every form: raw, %XX, form (+), JSON-escaped,
-- base64 (also inside Basic email/token:secret); vendor text is freed of
-- control characters and cut at 500 bytes.  DEBUG output is logged too, and
-- test/t/no_secrets_in_server_log.sh searches the log for every form.
SET log_min_messages = debug5;
-- (long runs of x shown by their length)
CREATE FUNCTION sec_try(q text) RETURNS text LANGUAGE sql AS $$
  SELECT regexp_replace(t, 'x{10,}', '<' || length(substring(t FROM 'x{10,}')) || ' x>')
    FROM try(q) t $$;
SELECT emu_reset('zendesk', 'echo_secrets=1');
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_zd
  OPTIONS (email 'admin@example.com', api_token 'Wrong Token/é+1&x=2');
CREATE FOREIGN TABLE sec_zd_audit (id bigint) SERVER sec_zd;
SELECT sec_try('SELECT * FROM sec_zd_audit');
SELECT emu_reset('zoho_mail', 'echo_secrets=1');
CREATE SERVER sec_zoho FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zoho_mail', base_url :'zoho_url', accounts_url :'zoho_url', zoid '57047751');
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_zoho
  OPTIONS (client_id 'zoho-test-client', client_secret 'Wrong Secret/é+1&x=2"\',
           refresh_token 'zoho-test-refresh');
CREATE FOREIGN TABLE sec_zoho_audit (request_time timestamptz) SERVER sec_zoho;
SELECT sec_try('SELECT * FROM sec_zoho_audit');
ALTER USER MAPPING FOR CURRENT_USER SERVER sec_zoho
  OPTIONS (SET client_secret 'zoho-test-secret', SET refresh_token 'Revoked Refresh/ü+7');
SELECT sec_try('SELECT * FROM sec_zoho_audit');
-- uncaught, so that the server log gets the error with its DETAIL too
\set VERBOSITY terse
SELECT * FROM sec_zoho_audit;
SELECT * FROM sec_zd_audit;
\set VERBOSITY default
RESET log_min_messages;
SELECT emu_reset('zoho_mail');
SELECT emu_reset('zendesk');

-- ---- one poisoned record hides nothing: it is read with U+FFFD and a
-- WARNING naming it, and every other row is returned unchanged
DROP USER MAPPING FOR CURRENT_USER SERVER sec_zd;
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_zd
  OPTIONS (email 'admin@example.com', api_token 'zd-test-token');
CREATE FOREIGN TABLE sec_zd_full (id bigint, created_at timestamptz, actor_id bigint,
  actor_name text, action text, source_label text, change_description text, raw jsonb)
  SERVER sec_zd;
-- the clean records: the emulator's own (/_emu/dump), not a scan
CREATE TEMP TABLE sec_zd_clean AS
  SELECT (jsonb_populate_record(NULL::sec_zd_full, d || jsonb_build_object('raw', d))).*
    FROM emu_dump('zendesk') d;
SELECT count(*) AS records FROM sec_zd_clean;
-- the emulator poisons its oldest record's actor_name
CREATE TEMP VIEW sec_zd_target AS SELECT min(id) AS id FROM sec_zd_clean;
CREATE FUNCTION sec_poison_check() RETURNS TABLE (rows_ bigint, same_others text, poisoned text)
LANGUAGE sql AS $$
  WITH f AS MATERIALIZED (SELECT * FROM sec_zd_full)
  SELECT (SELECT count(*) FROM f),
         same_rows('SELECT id, created_at, actor_id, actor_name, action, source_label, change_description, raw
                      FROM sec_zd_full WHERE id <> (SELECT id FROM sec_zd_target)',
                   'sec_zd_full', 'sec_zd_clean'),
         (SELECT actor_name || ' / ' || (raw->>'actor_name') FROM f WHERE id = (SELECT id FROM sec_zd_target))
$$;
SELECT emu_reset('zendesk', 'poison=nul');
SELECT * FROM sec_poison_check();
SELECT emu_reset('zendesk', 'poison=invalid_utf8');
SELECT * FROM sec_poison_check();
SELECT emu_reset('zendesk', 'poison=u0000');
SELECT * FROM sec_poison_check();
-- the single-record endpoint too
SELECT actor_name FROM sec_zd_full WHERE id = (SELECT id FROM sec_zd_target);
SELECT emu_reset('zendesk');
-- CSV reports likewise (Resolver: NUL or invalid UTF-8 in one Subject)
\set rs_emu 'anchor=2026-11-01T00:00:00Z&job_delay_ms=0'
SELECT emu_reset('resolver', :'rs_emu');
CREATE SERVER sec_rs FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'resolver', base_url :'rs_url', poll_interval_ms '10');
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_rs OPTIONS (api_token 'rslv-test-token');
CREATE FOREIGN TABLE sec_rs_audit (date_time timestamptz, event text, subject text,
  performed_by text, raw jsonb) SERVER sec_rs;
CREATE TEMP TABLE sec_rs_clean AS
  SELECT * FROM sec_rs_audit WHERE date_time >= '2026-10-25' AND date_time < '2026-11-02';
SELECT count(*) > 100 AS enough FROM sec_rs_clean;
CREATE FUNCTION sec_rs_check() RETURNS TABLE (rows_ bigint, same_others text, poisoned text)
LANGUAGE sql AS $$
  WITH f AS MATERIALIZED (SELECT * FROM sec_rs_audit
                           WHERE date_time >= '2026-10-25' AND date_time < '2026-11-02')
  SELECT (SELECT count(*) FROM f),
         (SELECT format('%s missing, %s extra',
                        (SELECT count(*) FROM (SELECT * FROM sec_rs_clean EXCEPT ALL
                                               SELECT * FROM f WHERE strpos(subject, U&'\FFFD') = 0) m) - 1,
                        (SELECT count(*) FROM (SELECT * FROM f WHERE strpos(subject, U&'\FFFD') = 0
                                               EXCEPT ALL SELECT * FROM sec_rs_clean) e))),
         (SELECT string_agg(subject || ' / ' || (raw->>'Subject'), ', ') FROM f
           WHERE strpos(subject, U&'\FFFD') > 0)
$$;
SELECT emu_reset('resolver', :'rs_emu' || '&poison=nul');
SELECT * FROM sec_rs_check();
SELECT emu_reset('resolver', :'rs_emu' || '&poison=invalid_utf8');
SELECT * FROM sec_rs_check();
SELECT emu_reset('resolver');
DROP SERVER sec_zd, sec_zoho, sec_rs CASCADE;
DROP FUNCTION sec_poison_check(), sec_rs_check(), sec_try(text);
