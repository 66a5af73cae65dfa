-- Option validation: names, values, vendors, privileges.  No network.
\set VERBOSITY default
-- server options
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (base_url 'https://acme.zendesk.com');
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk');
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'servicenow', base_url 'https://x');
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'http://acme.zendesk.com');
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'https://acme.zendesk.com/');
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'https://user:pw@acme.zendesk.com');
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'ftp://acme.zendesk.com');
-- URL rules (parsed as libcurl parses them): no userinfo, whatever it hides
-- behind (the first is other.host, not localhost), no backslash, no
-- percent-encoded or zoned host, no query, a valid port; a look-alike of a
-- loopback address is not one
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'http://localhost:1@other.host');
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'https://acme.zendesk.com\@evil.example');
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'https://acme.zendesk.com\evil');
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'https://%61cme.zendesk.com');
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'https://[fe80::1%25eth0]:8443');
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'https://acme.zendesk.com/api?x=1');
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'https://acme.zendesk.com:99999');
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'http://127.0.0.1.evil.example');
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zoho_mail', base_url 'https://mail.zoho.com', zoid '1', accounts_url 'https://accounts.zoho.com@evil.example');
-- IPv6 literals are fine; http:// on [::1] and 127.0.0.0/8 (superuser)
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'https://[2001:db8::1]:8443/prefix');
DROP SERVER s;
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'http://[::1]:9');
DROP SERVER s;
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'http://127.1.2.3:9');
DROP SERVER s;
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'https://acme.zendesk.com', timeout_ms '0');
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'https://acme.zendesk.com', max_retries 'many');
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'https://acme.zendesk.com', page_size '500');
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'https://acme.zendesk.com', concurrency '64');
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'https://acme.zendesk.com', colour 'blue');
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'https://acme.zendesk.com', api_token 'x');
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'https://acme.zendesk.com', timeout_ms '5', timeout_ms '6');
-- another vendor's option: rejected as soon as the vendor is known
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'https://acme.zendesk.com', zoid '57047751');
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zoho_mail', base_url 'https://mail.zoho.com');
ALTER FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (ADD vendor 'zendesk');
-- a valid server, then changes to it
CREATE SERVER s FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url 'https://acme.zendesk.com', timeout_ms '5000',
           max_retries '2', page_size '50', concurrency '1');
ALTER SERVER s OPTIONS (SET page_size '101');
ALTER SERVER s OPTIONS (DROP base_url);
ALTER SERVER s OPTIONS (SET timeout_ms '10000');
-- user mappings: secrets only here; names of any vendor are accepted until the scan
CREATE USER MAPPING FOR CURRENT_USER SERVER s OPTIONS (email 'a@example.com', passwd 'x');
CREATE USER MAPPING FOR CURRENT_USER SERVER s OPTIONS (email 'a@example.com', api_token 'placeholder');
-- foreign table and column options
CREATE FOREIGN TABLE t1 (id bigint) SERVER s OPTIONS (vendor 'zendesk');
CREATE FOREIGN TABLE t1 (id bigint) SERVER s OPTIONS (base_url 'https://other.zendesk.com');
CREATE FOREIGN TABLE t1 (id bigint) SERVER s OPTIONS (page_size 'ten');
CREATE FOREIGN TABLE t1 (id bigint OPTIONS (colname 'id')) SERVER s;
CREATE FOREIGN TABLE t1 (id bigint, who text OPTIONS (column_name 'actor_name')) SERVER s
  OPTIONS (page_size '20', timeout_ms '1000');
-- table option above the vendor's maximum: caught when the vendor is known (plan time)
CREATE FOREIGN TABLE t2 (id bigint) SERVER s OPTIONS (page_size '1000');
EXPLAIN (COSTS OFF) SELECT * FROM t2;
-- a table option of another vendor: caught at the first scan
CREATE FOREIGN TABLE t4 (id bigint) SERVER s OPTIONS (report_time_zone 'UTC');
EXPLAIN (COSTS OFF) SELECT * FROM t4;
-- unknown column: caught at the first scan, listing the valid names
CREATE FOREIGN TABLE t3 (id bigint, colour text) SERVER s;
EXPLAIN (COSTS OFF) SELECT * FROM t3;
-- plain EXPLAIN contacts nothing (the server is unreachable)
EXPLAIN (COSTS OFF) SELECT id, who FROM t1 WHERE id = 1;
-- privileges: an ordinary user may not use http://, ca_file or proxy
CREATE ROLE alf_regress_user;
GRANT USAGE ON FOREIGN DATA WRAPPER auditlog_fdw TO alf_regress_user;
SET ROLE alf_regress_user;
CREATE SERVER u1 FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'http://127.0.0.1:9');
CREATE SERVER u1 FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'https://acme.zendesk.com', ca_file '/etc/passwd');
CREATE SERVER u1 FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'https://acme.zendesk.com', proxy 'http://127.0.0.1:3128');
CREATE SERVER u1 FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url 'https://acme.zendesk.com');
CREATE USER MAPPING FOR CURRENT_USER SERVER u1 OPTIONS (email 'u@example.com', api_token 'user-secret');
-- secrets are visible to the mapping's owner and superusers only
SELECT srvname, umoptions FROM pg_user_mappings WHERE srvname = 's';
SELECT srvname, umoptions IS NOT NULL AS owner_sees_options FROM pg_user_mappings WHERE srvname = 'u1';
RESET ROLE;
DROP SERVER u1 CASCADE;
DROP OWNED BY alf_regress_user;
DROP ROLE alf_regress_user;
DROP SERVER s CASCADE;
