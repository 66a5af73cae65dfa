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

-- How a scan reads a vendor's time text (zone: the report_time_zone for
-- times that carry none; epoch_ms: a field documented as milliseconds).
-- A diagnostic; STABLE because zone abbreviations follow the session's
-- timezone_abbreviations.
CREATE FUNCTION read_vendor_time(value text, zone text DEFAULT 'UTC',
                                 epoch_ms boolean DEFAULT false)
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'alf_read_vendor_time'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
