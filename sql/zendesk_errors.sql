-- Zendesk: errors are loud and clear, never an empty or partial result;
-- 429/5xx are retried; no secret appears anywhere; cancel works mid-request
\getenv zd_port EMU_ZENDESK_PORT
\set zd_url 'http://127.0.0.1:' :zd_port
SELECT emu_reset('zendesk', 'rate_limit_per_min=0');
-- wrong token: 28000, the vendor's text in DETAIL, the options to check in HINT
CREATE SERVER zd_badtoken FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url :'zd_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER zd_badtoken
  OPTIONS (email 'admin@example.com', api_token 'wrong-secret-token-123');
CREATE FOREIGN TABLE zd_badtoken (id bigint) SERVER zd_badtoken;
SELECT try('SELECT * FROM zd_badtoken');
SELECT try('SELECT * FROM zd_badtoken') LIKE '%wrong-secret-token-123%' AS secret_in_error;
-- a valid token that is not an admin's: 403, also 28000
CREATE SERVER zd_agent FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url :'zd_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER zd_agent
  OPTIONS (email 'agent@example.com', api_token 'zd-test-token');
CREATE FOREIGN TABLE zd_agent (id bigint) SERVER zd_agent;
SELECT try('SELECT * FROM zd_agent');
-- OAuth bearer tokens work, and a wrong one fails the same way
CREATE SERVER zd_oauth FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url :'zd_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER zd_oauth OPTIONS (oauth_token 'zd-test-oauth');
CREATE FOREIGN TABLE zd_oauth (id bigint, action text) SERVER zd_oauth;
SELECT count(*) FROM zd_oauth;
ALTER USER MAPPING FOR CURRENT_USER SERVER zd_oauth OPTIONS (SET oauth_token 'expired-oauth-token-456');
SELECT try('SELECT * FROM zd_oauth');
-- incomplete or foreign credentials
ALTER USER MAPPING FOR CURRENT_USER SERVER zd_oauth OPTIONS (DROP oauth_token, ADD email 'admin@example.com');
SELECT try('SELECT * FROM zd_oauth');
ALTER USER MAPPING FOR CURRENT_USER SERVER zd_oauth OPTIONS (ADD client_id 'x');
SELECT try('SELECT * FROM zd_oauth');
DROP USER MAPPING FOR CURRENT_USER SERVER zd_oauth;
SELECT try('SELECT * FROM zd_oauth');
-- the emulator never saw a secret in a URL or body; four requests were refused
SELECT count(*) FILTER (WHERE line ~ '^40[13] ') AS refused,
       count(*) FILTER (WHERE line LIKE '%secret%' OR line LIKE '%token%') AS secrets_in_requests
  FROM emu_log('zendesk');
-- 429 with Retry-After and 5xx are retried; rows stay exact
SELECT emu('zendesk', '/_emu/config?fault=rate_limit&fault_every=4&retry_after=1') IS NOT NULL;
SELECT count(*), count(DISTINCT id) FROM zendesk_audit;
SELECT count(*) FILTER (WHERE line LIKE '429 %') AS rate_limited,
       count(*) FILTER (WHERE line LIKE '200 %') AS ok FROM emu_log('zendesk');
SELECT emu('zendesk', '/_emu/config?fault=status&fault_status=503&fault_every=3') IS NOT NULL;
SELECT count(*), count(DISTINCT id) FROM zendesk_audit;
SELECT count(*) FILTER (WHERE line LIKE '503 %') > 0 AS had_503 FROM emu_log('zendesk');
-- a connection dropped mid-body (truncated transfer) is retried too
SELECT emu('zendesk', '/_emu/config?fault=truncate&fault_every=5') IS NOT NULL;
SELECT count(*), count(DISTINCT id) FROM zendesk_audit;
SELECT emu('zendesk', '/_emu/config?fault=reset&fault_every=6') IS NOT NULL;
SELECT count(*), count(DISTINCT id) FROM zendesk_audit;
-- ... until max_retries runs out: 08006, never a partial result
CREATE FOREIGN TABLE zd_noretry (id bigint) SERVER zendesk OPTIONS (max_retries '1');
SELECT emu('zendesk', '/_emu/config?fault=status&fault_status=500&fault_every=1&fault_skip=2') IS NOT NULL;
SELECT try('SELECT * FROM zd_noretry');
SELECT emu('zendesk', '/_emu/config?fault=rate_limit&fault_every=1&fault_skip=0&retry_after=0') IS NOT NULL;
SELECT try('SELECT * FROM zd_noretry');
-- a complete HTTP response with a malformed or cut JSON body: HV000, no rows
SELECT emu('zendesk', '/_emu/config?fault=malformed&fault_every=1&fault_skip=3') IS NOT NULL;
SELECT try('SELECT * FROM zendesk_audit');
SELECT emu('zendesk', '/_emu/config?fault=cut&fault_every=1&fault_skip=3') IS NOT NULL;
SELECT try('SELECT * FROM zendesk_audit');
SELECT emu('zendesk', '/_emu/config?fault=none') IS NOT NULL;
SELECT emu_clear('zendesk');
-- nobody listening: 08006 after the retries
CREATE SERVER zd_down FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url 'http://127.0.0.1:9', max_retries '1', timeout_ms '2000');
CREATE USER MAPPING FOR CURRENT_USER SERVER zd_down OPTIONS (oauth_token 'zd-test-oauth');
CREATE FOREIGN TABLE zd_down (id bigint) SERVER zd_down;
SELECT regexp_replace(try('SELECT * FROM zd_down'), 'DETAIL: .*', 'DETAIL: ...');
-- statement_timeout stops a slow request within a second, with 57014
SELECT emu('zendesk', '/_emu/config?latency_ms=2500') IS NOT NULL;
CREATE TABLE timing (t0 timestamptz, t1 timestamptz);
INSERT INTO timing (t0) VALUES (clock_timestamp());
SET statement_timeout = '300ms';
SELECT count(*) FROM zendesk_audit;
RESET statement_timeout;
UPDATE timing SET t1 = clock_timestamp();
SELECT t1 - t0 < interval '1.3 seconds' AS stopped_within_a_second FROM timing;
SELECT emu('zendesk', '/_emu/config?latency_ms=0') IS NOT NULL;
-- let the emulator finish the abandoned request, so it logs nothing later
SELECT pg_sleep(2.5);
-- the next query in the session works normally (nothing left behind)
SELECT count(*) FROM zendesk_audit WHERE action = 'login';
