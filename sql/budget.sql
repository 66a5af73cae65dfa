-- The per-server request budget (max_requests_per_minute): the option, the
-- vendors' defaults (checked against the emulator's own limits), the
-- window (5 a minute: a scan that needs more stops at exactly 5 requests),
-- pauses from a 429's Retry-After and from rate-limit headers, and the view
-- auditlog_fdw.request_budgets.  In pg_regress the library is not
-- preloaded, so budgets are per backend (test/t/budget_shared.sh covers the
-- shared ones).  The suite's cluster runs with budgets off: on here.
SELECT * FROM emu_urls() \gset
SET auditlog_fdw.request_budgets = on;
-- the option: server level, 0 or more
CREATE SERVER bu_bad FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url 'https://acme.zendesk.com', max_requests_per_minute '-1');
CREATE SERVER bu_bad FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url 'https://acme.zendesk.com', max_requests_per_minute 'lots');
CREATE SERVER bu_zd FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url :'zd_url', page_size '5', max_requests_per_minute '5');
CREATE USER MAPPING FOR CURRENT_USER SERVER bu_zd
  OPTIONS (email 'admin@example.com', api_token 'zd-test-token');
CREATE SCHEMA bu;
IMPORT FOREIGN SCHEMA audit FROM SERVER bu_zd INTO bu;
ALTER FOREIGN TABLE bu.zendesk_audit OPTIONS (ADD max_requests_per_minute '10');

-- defaults: each vendor's documented per-minute limit, as the emulator
-- (which models the vendors' documents) enforces it by default
CREATE SERVER bu_def_zd FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url :'zd_url');
CREATE SERVER bu_def_kore FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'koreai', base_url :'kore_url');
CREATE SERVER bu_def_zoho FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zoho_mail', base_url :'zoho_url', accounts_url :'zoho_url', zoid '57047751');
CREATE SERVER bu_def_zs FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zscaler', base_url :'zs_url');
CREATE SERVER bu_def_rs FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'resolver', base_url :'rs_url');
SELECT emu_reset(v) FROM unnest(ARRAY['zendesk', 'koreai', 'zoho_mail']) v;
SELECT b.server, b.limit_per_minute,
       (SELECT (string_agg(l, '')::jsonb ->> 'rate_limit_per_min')::int
          FROM emu(v.vendor, '/_emu/config') l) AS emulator_limit
  FROM auditlog_fdw.request_budgets b
  JOIN (VALUES ('bu_def_zd', 'zendesk'), ('bu_def_kore', 'koreai'),
               ('bu_def_zoho', 'zoho_mail')) v (server, vendor) USING (server)
 ORDER BY 1;
-- ZIA limits per resource (1000/h each: 16 a minute); Resolver documents none
SELECT server, limit_per_minute, requests_last_minute, blocked_until, requests
  FROM auditlog_fdw.request_budgets WHERE server IN ('bu_def_zs', 'bu_def_rs') ORDER BY 1;

-- 5 a minute: a scan of 8 pages gets 5 requests, then waits for the window
-- until statement_timeout cancels it; the emulator saw exactly 5
SELECT emu_reset('zendesk', 'records=40&rate_limit_per_min=0');
SET statement_timeout = '3s';
SELECT try('SELECT * FROM bu.zendesk_audit');
RESET statement_timeout;
SELECT count(*) AS requests, count(*) FILTER (WHERE line LIKE '200 GET /api/v2/audit_logs%') AS ok
  FROM emu_log('zendesk');
SELECT server, limit_per_minute, vendor_limit, requests_last_minute, blocked_until, shared,
       requests, waits, throttled
  FROM auditlog_fdw.request_budgets WHERE server = 'bu_zd';
-- a scan_timeout_ms shorter than the wait fails at once, with no request
ALTER SERVER bu_zd OPTIONS (ADD scan_timeout_ms '2000');
SELECT try('SELECT * FROM bu.zendesk_audit');
SELECT count(*) AS requests FROM emu_log('zendesk');

-- the vendor's limit header: the emulator announces 3 a minute
-- (X-Rate-Limit), our budget of 700 follows it, and no request is refused
CREATE SERVER bu_hdr FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url :'zd_url', page_size '5', concurrency '8');
CREATE USER MAPPING FOR CURRENT_USER SERVER bu_hdr
  OPTIONS (email 'admin@example.com', api_token 'zd-test-token');
CREATE SCHEMA bu_hdr;
IMPORT FOREIGN SCHEMA audit FROM SERVER bu_hdr INTO bu_hdr;
SELECT emu_reset('zendesk', 'records=40&rate_limit_per_min=3');
SET statement_timeout = '3s';
SELECT try('SELECT * FROM bu_hdr.zendesk_audit');
RESET statement_timeout;
SELECT count(*) AS requests, count(*) FILTER (WHERE line LIKE '429 %') AS refused
  FROM emu_log('zendesk');
SELECT limit_per_minute, vendor_limit, requests_last_minute, blocked_until IS NOT NULL AS paused
  FROM auditlog_fdw.request_budgets WHERE server = 'bu_hdr';

-- a 429 with Retry-After 3 pauses the server: the next scan (another
-- scan, same server) sends nothing until then
CREATE SERVER bu_429 FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url :'zd_url', page_size '50', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER bu_429
  OPTIONS (email 'admin@example.com', api_token 'zd-test-token');
CREATE SCHEMA bu_429;
IMPORT FOREIGN SCHEMA audit FROM SERVER bu_429 INTO bu_429;
SELECT emu_reset('zendesk', 'records=40&rate_limit_per_min=0&fault=rate_limit&retry_after=3&fault_count=1');
SELECT try('SELECT * FROM bu_429.zendesk_audit');
SELECT line FROM emu_log('zendesk');
SELECT blocked_until > now() + interval '1 s' AS paused, throttled, requests
  FROM auditlog_fdw.request_budgets WHERE server = 'bu_429';
SET statement_timeout = '1s';
SELECT try('SELECT * FROM bu_429.zendesk_audit');
RESET statement_timeout;
SELECT count(*) AS requests FROM emu_log('zendesk');
-- once the pause is over, the same scan runs (it waits out the rest)
SELECT try('SELECT * FROM bu_429.zendesk_audit');
SELECT line FROM emu_log('zendesk');
SELECT blocked_until, throttled, requests, waits
  FROM auditlog_fdw.request_budgets WHERE server = 'bu_429';

-- max_requests_per_minute 0: no limit of ours (the vendor's pauses still apply)
ALTER SERVER bu_zd OPTIONS (SET max_requests_per_minute '0', DROP scan_timeout_ms);
SELECT emu_reset('zendesk', 'records=40&rate_limit_per_min=0');
SELECT try('SELECT * FROM bu.zendesk_audit');
SELECT count(*) AS requests FROM emu_log('zendesk');
SELECT limit_per_minute, requests_last_minute FROM auditlog_fdw.request_budgets WHERE server = 'bu_zd';
-- an announced limit holds while the vendor keeps announcing it
SELECT emu_reset('zendesk', 'records=40&rate_limit_per_min=50');
SELECT try('SELECT * FROM bu.zendesk_audit');
SELECT vendor_limit FROM auditlog_fdw.request_budgets WHERE server = 'bu_zd';
SELECT emu_reset('zendesk', 'records=40&rate_limit_per_min=0');
SELECT try('SELECT * FROM bu.zendesk_audit');
SELECT vendor_limit FROM auditlog_fdw.request_budgets WHERE server = 'bu_zd';

-- an ordinary role sees the view
CREATE ROLE regress_alf_budget_user;
SET ROLE regress_alf_budget_user;
-- ... but cannot turn budgets off
SET auditlog_fdw.request_budgets = off;
SELECT count(*) AS servers FROM auditlog_fdw.request_budgets WHERE server LIKE 'bu\_%';
RESET ROLE;
DROP ROLE regress_alf_budget_user;

SET client_min_messages = warning;
DROP SCHEMA bu, bu_hdr, bu_429 CASCADE;
DROP SERVER bu_zd, bu_hdr, bu_429, bu_def_zd, bu_def_kore, bu_def_zoho, bu_def_zs, bu_def_rs CASCADE;
RESET client_min_messages;
SELECT emu_reset('zendesk');
