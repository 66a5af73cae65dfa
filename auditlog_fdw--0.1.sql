/* auditlog_fdw--0.1.sql */
\echo Use "CREATE EXTENSION auditlog_fdw" to load this file. \quit

CREATE FUNCTION auditlog_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION auditlog_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER auditlog_fdw
  HANDLER auditlog_fdw_handler
  VALIDATOR auditlog_fdw_validator;
