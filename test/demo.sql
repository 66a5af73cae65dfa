-- test/demo.sql - a short tour of auditlog_fdw against the local vendor emulator.
--
-- test/demo.sh runs it on a fresh throwaway cluster, as superuser postgres:
--     psql -X -v ON_ERROR_STOP=1 -f test/demo.sql
-- with the emulator (started with --anchor now, so "the last day" has rows) on
-- 127.0.0.1: zendesk 18001, koreai 18002, zoho_mail 18003, zscaler 18004, resolver 18005.
-- (http:// base_url is allowed because the host is loopback and we are superuser.)
--
-- Layout: a common preamble, then one self-contained block per vendor.  Each vendor
-- block creates its own server + user mapping and imports its table into schema
-- public, the default search path, so `SELECT * FROM zendesk_audit` works as the
-- README writes it (tables are named <vendor>_audit, so blocks never collide).
--
-- Secrets: user mappings are created with ECHO off and echoed with the token
-- replaced by '***'.  Never \deu+ here: it would print the options.

\set ON_ERROR_STOP on
\set QUIET on
\pset border 2
\pset linestyle unicode
\pset null '∅'
\set QUIET off
\set ECHO queries

-- ===========================================================================
-- Preamble (all vendors)
-- ===========================================================================
\echo
\echo '#### auditlog_fdw demo'
\echo
CREATE EXTENSION auditlog_fdw;

-- ===========================================================================
-- Vendor block: Zendesk (emulator on 127.0.0.1:18001)
-- ===========================================================================
\echo
\echo '#### Zendesk: server, user mapping, IMPORT FOREIGN SCHEMA'
\echo
CREATE SERVER zendesk FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url 'http://127.0.0.1:18001');

\set ECHO none
\echo 'CREATE USER MAPPING FOR CURRENT_USER SERVER zendesk'
\echo '  OPTIONS (email ''admin@example.com'', api_token ''***'');'
CREATE USER MAPPING FOR CURRENT_USER SERVER zendesk
  OPTIONS (email 'admin@example.com', api_token 'zd-test-token');
\set ECHO queries

IMPORT FOREIGN SCHEMA audit FROM SERVER zendesk INTO public;

\echo
\echo '\\d zendesk_audit'
\d zendesk_audit

\echo
\echo '#### Zendesk: how many updates in the last day?'
\echo
SELECT count(*) AS updates_last_day
  FROM zendesk_audit
 WHERE action = 'update'
   AND created_at > now() - interval '1 day';

\echo
\echo '#### Zendesk: most active actors over the last 7 days'
\echo
SELECT actor_id, actor_name, count(*) AS events,
       max(created_at) AS last_seen
  FROM zendesk_audit
 WHERE created_at > now() - interval '7 days'
 GROUP BY actor_id, actor_name
 ORDER BY events DESC, actor_id
 LIMIT 5;

\echo
\echo '#### Zendesk: what is sent to the vendor and what is filtered locally'
\echo
-- plans print best without a table frame
\set QUIET on
\pset format unaligned
\pset tuples_only on
\set QUIET off
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id, created_at, actor_name, action, source_type, source_label
  FROM zendesk_audit
 WHERE created_at > now() - interval '1 day'
   AND action IN ('create', 'destroy')
   AND source_type = 'user'
   AND change_description ILIKE '%role%'
 ORDER BY created_at DESC
 LIMIT 10;
\set QUIET on
\pset format aligned
\pset tuples_only off
\set QUIET off
\echo

\echo
\echo '#### Zendesk: join with a local table'
\echo
-- A small HR directory.  The emulator invents its actors, so the directory is
-- filled from them: everyone active in the last 30 days except the first one,
-- who then shows up as "not in the directory" below.
CREATE TABLE employees (
    zendesk_id bigint PRIMARY KEY,
    name       text NOT NULL,
    department text NOT NULL
);
INSERT INTO employees (zendesk_id, name, department)
SELECT actor_id, name,
       (ARRAY['Support', 'IT', 'Security'])[1 + (row_number() OVER (ORDER BY actor_id))::int % 3]
  FROM (SELECT actor_id, coalesce(min(actor_name), 'actor ' || actor_id) AS name
          FROM zendesk_audit
         WHERE created_at > now() - interval '30 days'
           AND actor_id IS NOT NULL
         GROUP BY actor_id
         ORDER BY actor_id
        OFFSET 1) AS actors;

SELECT e.department, e.name, count(*) AS events
  FROM zendesk_audit AS z
  JOIN employees AS e ON e.zendesk_id = z.actor_id
 WHERE z.created_at > now() - interval '7 days'
 GROUP BY e.department, e.name
 ORDER BY e.department, events DESC, e.name;

SELECT z.actor_id, z.actor_name, count(*) AS events_by_unknown_actors
  FROM zendesk_audit AS z
  LEFT JOIN employees AS e ON e.zendesk_id = z.actor_id
 WHERE z.created_at > now() - interval '7 days'
   AND e.zendesk_id IS NULL
 GROUP BY z.actor_id, z.actor_name
 ORDER BY events_by_unknown_actors DESC, z.actor_id;

\echo
\echo '#### Zendesk: a local 30-day copy as a materialized view'
\echo
CREATE MATERIALIZED VIEW audit_30d AS
SELECT *
  FROM zendesk_audit
 WHERE created_at > now() - interval '30 days';

REFRESH MATERIALIZED VIEW audit_30d;

SELECT action, count(*) AS events,
       min(created_at) AS first, max(created_at) AS last
  FROM audit_30d
 GROUP BY action
 ORDER BY events DESC, action;

\echo
\echo '#### Zendesk: one record by id (a single GET /api/v2/audit_logs/{id})'
\echo
\set QUIET on
\pset format unaligned
\pset tuples_only on
\set QUIET off
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id, created_at, actor_name, action
  FROM zendesk_audit
 WHERE id = (SELECT min(id) FROM audit_30d);
\set QUIET on
\pset format aligned
\pset tuples_only off
\set QUIET off
\echo

\set QUIET on
\x on
\set QUIET off
SELECT id, created_at, actor_id, actor_name, ip_address, action, action_label,
       source_type, source_id, source_label, change_description
  FROM zendesk_audit
 WHERE id = (SELECT min(id) FROM audit_30d);
\set QUIET on
\x off
\set QUIET off

-- ===========================================================================
-- Vendor block: Kore.ai (emulator on 127.0.0.1:18002)
-- ===========================================================================
\echo
\echo '#### Kore.ai: a fresh HS256 JWT per scan; date ranges go to fromDate/toDate'
\echo
CREATE SERVER koreai FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'koreai', base_url 'http://127.0.0.1:18002', min_request_interval_ms '0');
\set ECHO none
\echo 'CREATE USER MAPPING FOR CURRENT_USER SERVER koreai'
\echo '  OPTIONS (client_id ''cs-kore-test-client'', client_secret ''***'');'
CREATE USER MAPPING FOR CURRENT_USER SERVER koreai
  OPTIONS (client_id 'cs-kore-test-client', client_secret 'kore-test-secret-0123456789');
\set ECHO queries
IMPORT FOREIGN SCHEMA audit FROM SERVER koreai INTO public;
SELECT category, name, count(*) AS events
  FROM koreai_audit
 WHERE date_time > now() - interval '2 days'
 GROUP BY 1, 2 ORDER BY events DESC, 1, 2 LIMIT 5;

-- ===========================================================================
-- Vendor block: Zoho Mail (emulator on 127.0.0.1:18003; it also serves the
-- accounts server's token endpoint)
-- ===========================================================================
\echo
\echo '#### Zoho Mail: refreshed OAuth token, cached; equality filters go to searchKey'
\echo
CREATE SERVER zoho_mail FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zoho_mail', base_url 'http://127.0.0.1:18003',
           accounts_url 'http://127.0.0.1:18003', zoid '57047751', min_request_interval_ms '0');
\set ECHO none
\echo 'CREATE USER MAPPING FOR CURRENT_USER SERVER zoho_mail'
\echo '  OPTIONS (client_id ''zoho-test-client'', client_secret ''***'', refresh_token ''***'');'
CREATE USER MAPPING FOR CURRENT_USER SERVER zoho_mail
  OPTIONS (client_id 'zoho-test-client', client_secret 'zoho-test-secret', refresh_token 'zoho-test-refresh');
\set ECHO queries
IMPORT FOREIGN SCHEMA audit FROM SERVER zoho_mail INTO public;
SELECT request_time, performed_by, performed_on, operation, status, data
  FROM zoho_mail_audit
 WHERE request_time > now() - interval '3 days' AND operation_type = 'DELETE'
 ORDER BY request_time DESC LIMIT 5;

-- ===========================================================================
-- Vendor block: Zscaler ZIA (emulator on 127.0.0.1:18004)
-- ===========================================================================
\echo
\echo '#### Zscaler ZIA: session login, report job, CSV download, windows narrowed at the 1000-row cap'
\echo
CREATE SERVER zscaler FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zscaler', base_url 'http://127.0.0.1:18004');
\set ECHO none
\echo 'CREATE USER MAPPING FOR CURRENT_USER SERVER zscaler'
\echo '  OPTIONS (username ''admin@example.com'', password ''***'', api_key ''***'');'
CREATE USER MAPPING FOR CURRENT_USER SERVER zscaler
  OPTIONS (username 'admin@example.com', password 'zia-test-password', api_key 'ZiaTestKey2026xyz');
\set ECHO queries
IMPORT FOREIGN SCHEMA audit FROM SERVER zscaler INTO public;
SELECT action, result, interface, count(*) AS events
  FROM zscaler_audit
 WHERE time > now() - interval '7 days'
 GROUP BY 1, 2, 3 ORDER BY events DESC, 1, 2, 3 LIMIT 5;

-- ===========================================================================
-- Vendor block: Resolver (emulator on 127.0.0.1:18005)
-- ===========================================================================
\echo
\echo '#### Resolver: export job, signed URL without auth, paging back past the row cap'
\echo
CREATE SERVER resolver FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'resolver', base_url 'http://127.0.0.1:18005');
\set ECHO none
\echo 'CREATE USER MAPPING FOR CURRENT_USER SERVER resolver OPTIONS (api_token ''***'');'
CREATE USER MAPPING FOR CURRENT_USER SERVER resolver OPTIONS (api_token 'rslv-test-token');
\set ECHO queries
IMPORT FOREIGN SCHEMA audit FROM SERVER resolver INTO public;
SELECT date_time, event, subject, performed_by
  FROM resolver_audit
 WHERE date_time > now() - interval '30 days'
 ORDER BY date_time DESC LIMIT 5;

-- ===========================================================================
-- Warehouse: incremental sync, evidence of what was read, one view
-- ===========================================================================
\echo
\echo '#### Warehouse: copy Zendesk into a local table, window by window (sync_all commits each)'
\echo
CALL auditlog_fdw.sync_all('zendesk_audit', 'zendesk_store', since => now() - interval '30 days');
-- a second run only re-reads the overlap and adds nothing
SELECT auditlog_fdw.sync('zendesk_audit', 'zendesk_store') AS added_again;
SELECT id, time_window, rows_read, rows_added, scans->0->>'status' AS scan, scans->0->>'requests' AS requests
  FROM auditlog_fdw.sync_log ORDER BY id;
SELECT * FROM auditlog_fdw.sync_gaps('zendesk_store');

\echo
\echo '#### Warehouse: one view over every vendor table; time and action filters still reach each vendor'
\echo
SELECT auditlog_fdw.create_unified_view('audit_events');
SELECT vendor, count(*) AS events_last_day
  FROM audit_events
 WHERE occurred_at > now() - interval '1 day'
 GROUP BY vendor ORDER BY vendor;
SELECT foreign_table, status, requests, rows FROM auditlog_fdw.scan_log ORDER BY id DESC LIMIT 5;

\echo
\echo '#### done: the tables are in schema public (\\dE), e.g. SELECT * FROM zendesk_audit LIMIT 5;'
