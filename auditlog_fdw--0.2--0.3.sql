/* auditlog_fdw--0.2--0.3.sql: the per-server request budgets */
\echo Use "ALTER EXTENSION auditlog_fdw UPDATE TO '0.3'" to load this file. \quit

-- the budgets this backend can see: all backends' when the library is in
-- shared_preload_libraries, else its own (one row per server used so far)
CREATE FUNCTION request_budget_slots(
  OUT server_oid oid, OUT limit_used integer, OUT vendor_limit integer,
  OUT requests_last_minute integer, OUT blocked_until timestamptz, OUT shared boolean,
  OUT requests bigint, OUT waits bigint, OUT throttled bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'auditlog_fdw_request_budget_slots'
LANGUAGE C STRICT VOLATILE;

-- a server's max_requests_per_minute, or its vendor's default (0: none)
CREATE FUNCTION server_request_limit(server oid) RETURNS integer
AS 'MODULE_PATHNAME', 'auditlog_fdw_server_request_limit'
LANGUAGE C STRICT STABLE;

-- whether budgets are shared by all backends (library preloaded)
CREATE FUNCTION budgets_shared() RETURNS boolean
AS 'MODULE_PATHNAME', 'auditlog_fdw_budgets_shared'
LANGUAGE C STRICT VOLATILE;

-- one row per auditlog_fdw server of this database
CREATE VIEW request_budgets AS
SELECT s.srvname AS server,
       server_request_limit(s.oid) AS limit_per_minute,
       b.vendor_limit,
       coalesce(b.requests_last_minute, 0) AS requests_last_minute,
       b.blocked_until,
       coalesce(b.shared, budgets_shared()) AS shared,
       coalesce(b.requests, 0) AS requests,
       coalesce(b.waits, 0) AS waits,
       coalesce(b.throttled, 0) AS throttled
  FROM pg_catalog.pg_foreign_server s
  JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
  LEFT JOIN request_budget_slots() b ON b.server_oid = s.oid
 WHERE w.fdwhandler = 'auditlog_fdw_handler'::regproc;
GRANT SELECT ON request_budgets TO PUBLIC;
