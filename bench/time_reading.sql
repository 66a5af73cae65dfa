-- Time reading: 1M vendor times through auditlog_fdw.read_vendor_time()
-- (ISO 8601 and epochs take the C fast path, RFC 1123 the server's
-- ParseDateTime/DecodeDateTime) against PostgreSQL's own timestamptz input.
-- Run in a database with the extension:  psql -X -f bench/time_reading.sql
-- Subtract the "baseline" line (reading the strings) from the others.
SET TimeZone = 'UTC';
CREATE TEMP TABLE iso AS SELECT to_char(timestamptz '2020-01-01' + i * interval '1.007 s',
  'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') s FROM generate_series(1, 1000000) i;
CREATE TEMP TABLE rfc AS SELECT to_char(timestamptz '2020-01-01' + i * interval '1.007 s',
  'Dy, DD Mon YYYY HH24:MI:SS "GMT"') s FROM generate_series(1, 1000000) i;
CREATE TEMP TABLE ep AS SELECT (1577836800000 + i * 1007)::text s FROM generate_series(1, 1000000) i;
VACUUM ANALYZE iso, rfc, ep;
\timing on
\echo baseline
SELECT count(length(s)) FROM iso;
\echo iso fast path
SELECT count(auditlog_fdw.read_vendor_time(s)) FROM iso;
\echo iso timestamptz input
SELECT count(s::timestamptz) FROM iso;
\echo epoch ms fast path
SELECT count(auditlog_fdw.read_vendor_time(s)) FROM ep;
\echo rfc1123 server path
SELECT count(auditlog_fdw.read_vendor_time(s)) FROM rfc;
\echo rfc1123 timestamptz input
SELECT count(s::timestamptz) FROM rfc;
